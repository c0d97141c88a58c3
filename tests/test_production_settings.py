"""Production configuration: `check --deploy` is clean with real-looking settings, and the process refuses to
start (non-zero exit, message naming the variable) when a secret is missing or left at its development default.

Each case is a real `manage.py` process: settings are read once per process, so this cannot be done in-process.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOTLINE_", "DJANGO_", "EMAIL_")) and k not in {"DATABASE_URL"}
    }
    env.update(
        {
            "HOTLINE_ENV": "production",
            "HOTLINE_SECRET_KEY": secrets.token_urlsafe(50),
            "HOTLINE_DATA_KEYS": f"k2:{base64.b64encode(os.urandom(32)).decode()},"
            f"k1:{base64.b64encode(os.urandom(32)).decode()}",
            "HOTLINE_INDEX_KEY": secrets.token_urlsafe(32),
            "HOTLINE_ALLOWED_HOSTS": "hotline.example.org",
            "HOTLINE_PUBLIC_URL": "https://hotline.example.org",
            "HOTLINE_VAR_DIR": str(tmp_path / "var"),
            "HOTLINE_STATIC_ROOT": str(tmp_path / "static"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
        }
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MANAGE), *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def test_check_deploy_is_clean(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    # No check is silenced (axes.W006 is met: the lockout counts per account and client network).
    assert "WARNINGS" not in output and "?:" not in output


DEV_DEFAULTS = {
    "HOTLINE_SECRET_KEY": "dev-insecure-hotline-secret-key-change-me-in-production-0123456789",
    "HOTLINE_DATA_KEYS": "dev1:ZGV2LWluc2VjdXJlLWRhdGEta2V5LTMyLWJ5dGVzISE=",
    "HOTLINE_INDEX_KEY": "dev-insecure-blind-index-key-change-me",
}


@pytest.mark.parametrize("variable", sorted(DEV_DEFAULTS))
@pytest.mark.parametrize("how", ["missing", "empty", "development default"])
def test_production_refuses_to_start_without_its_secrets(variable: str, how: str, tmp_path: Path) -> None:
    value: Any = {"missing": None, "empty": "", "development default": DEV_DEFAULTS[variable]}[how]
    result = manage(production_env(tmp_path, **{variable: value}), "check")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert variable in output, output
    assert "Traceback" not in output


def test_production_refuses_missing_allowed_hosts(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, HOTLINE_ALLOWED_HOSTS=None), "check")
    assert result.returncode != 0 and "HOTLINE_ALLOWED_HOSTS" in result.stdout + result.stderr


@pytest.mark.parametrize("value", [None, "", "http://hotline.example.org", "http://127.0.0.1:8000", "https://"])
def test_production_refuses_a_public_url_that_is_not_https(value: str | None, tmp_path: Path) -> None:
    """RFC 8058 (issue 12): List-Unsubscribe must be an https URI; the default is http://127.0.0.1:8000."""
    result = manage(production_env(tmp_path, HOTLINE_PUBLIC_URL=value), "check")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "HOTLINE_PUBLIC_URL" in output and "https" in output, output
    assert "Traceback" not in output


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, HOTLINE_SECRET_KEY="too-short"), "check")
    assert result.returncode != 0 and "HOTLINE_SECRET_KEY" in result.stdout + result.stderr


def test_the_dev_defaults_above_are_the_real_ones() -> None:
    """If settings.py changes its development defaults, the refusal test above must follow."""
    from hotline import settings as hotline_settings

    defaults = {
        "HOTLINE_SECRET_KEY": hotline_settings.DEV_SECRET_KEY,
        "HOTLINE_DATA_KEYS": hotline_settings.DEV_DATA_KEYS,
        "HOTLINE_INDEX_KEY": hotline_settings.DEV_INDEX_KEY,
    }
    assert defaults == DEV_DEFAULTS
