"""Every setting is read through hotline.core.conf, checked at start-up and listed in docs/operating.md."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hotline.campaigns import conf as campaigns_conf
from hotline.cases import conf as cases_conf
from hotline.core import conf as core_conf
from hotline.intake import conf as intake_conf
from hotline.intel import conf as intel_conf
from hotline.network import conf as network_conf
from hotline.referrals import conf as referrals_conf
from hotline.staff import conf as staff_conf
from hotline.tracing import conf as tracing_conf
from tests.test_production_settings import manage, production_env

ROOT = Path(__file__).resolve().parent.parent
CONF_MODULES: tuple[ModuleType, ...] = (
    core_conf,
    staff_conf,
    intake_conf,
    cases_conf,
    tracing_conf,
    referrals_conf,
    campaigns_conf,
    intel_conf,
    network_conf,
)


def _settings_functions(module: ModuleType) -> list[Any]:
    """Public functions of a conf module that take no arguments (the named accessors and the like)."""
    out = []
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(value) or not value.__module__.startswith("hotline."):
            continue
        required = [
            p for p in inspect.signature(value).parameters.values() if p.default is p.empty and p.kind != p.VAR_KEYWORD
        ]
        if not required:
            out.append(value)
    return out


def _registered_names() -> set[str]:
    with core_conf.recording_names() as names:
        for accessors in core_conf.registered_accessors().values():
            for accessor in accessors:
                accessor()
    return names


def test_every_conf_module_is_known_here() -> None:
    on_disk = {p.parent.name for p in (ROOT / "src" / "hotline").glob("*/conf.py")}
    assert on_disk == {m.__name__.split(".")[1] for m in CONF_MODULES}


def test_every_setting_an_app_reads_is_checked_at_start_up(settings: Any, tmp_path: Path) -> None:
    settings.HOTLINE_CAMPAIGN_EXPORT_DIR = str(tmp_path / "exports")  # export_dir() creates it
    registered = _registered_names()
    skip = {core_conf.clear_cache, core_conf.check_settings, core_conf.registered_accessors}
    with core_conf.recording_names() as read:
        for module in CONF_MODULES:
            for function in _settings_functions(module):
                if function not in skip:
                    function()
        referrals_conf.legal_basis("sv")
        referrals_conf.legal_basis("en")
    assert read - registered == set(), "add these accessors to their app's conf.ACCESSORS"
    assert len(registered) > 60


def test_every_setting_is_listed_in_operating_md() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "operating.md").read_text()))
    missing = sorted(_registered_names() - documented)
    assert missing == [], f"docs/operating.md lists no line for {missing}"


@pytest.mark.slow
def test_a_malformed_setting_stops_manage_py_check(tmp_path: Path) -> None:
    env = production_env(tmp_path, HOTLINE_CLAIM_MINUTES="soon", HOTLINE_POLICE_CHANNEL="pigeon")
    result = manage(env, "check")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "(cases.E001) HOTLINE_CLAIM_MINUTES must be a whole number (set in the environment)." in output
    assert "(referrals.E001) HOTLINE_POLICE_CHANNEL must be one of download, email" in output
    assert "soon" not in output and "pigeon" not in output
