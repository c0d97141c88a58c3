"""The deployment files in deploy/ agree with the code: the environment template names every setting
the code reads and nothing else, the docs' settings tables name the same ones, the template's values
pass `check --deploy`, the systemd units and the container run commands and flags that exist (the
web server exactly as `manage.py serve` starts it), the units pass `systemd-analyze verify`, and the
container's health check tells a healthy production server from a broken one."""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
TEMPLATE = DEPLOY / "hotline.env.example"
UNITS = DEPLOY / "systemd"
CONTAINERFILE = DEPLOY / "Containerfile"
SETTING = re.compile(r"^(HOTLINE_[A-Z0-9_]+|EMAIL_[A-Z0-9_]+|DATABASE_URL)$")
# Read by `manage.py serve` (make run) only; the units and the container give granian its flags.
SERVE_ONLY = {"PORT", "HOST", "WEB_WORKERS"}


# --- the environment template ---------------------------------------------------------------
def template_lines() -> tuple[dict[str, str], dict[str, str]]:
    """(set, commented): NAME -> value of `NAME=value` lines and of `# NAME=value` lines."""
    active: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in TEMPLATE.read_text().splitlines():
        if match := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            active[match.group(1)] = match.group(2)
        elif match := re.match(r"^# ([A-Z][A-Z0-9_]*)=(.*)$", line):
            commented[match.group(1)] = match.group(2)
    return active, commented


def template_names() -> set[str]:
    active, commented = template_lines()
    assert not set(active) & set(commented), "a setting is both set and commented out"
    return set(active) | set(commented)


def code_strings() -> set[str]:
    """Every string constant in the application code (tests excluded)."""
    found: set[str] = set()
    for path in (ROOT / "src" / "hotline").rglob("*.py"):
        if "tests" in path.relative_to(ROOT / "src").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def documented_settings() -> dict[str, list[str]]:
    """Names in the settings tables of docs/*.md (rows whose first cell is only `NAME`s) -> files."""
    row = re.compile(r"^\|\s*(`[A-Z][A-Z0-9_]*`(?:\s*[,/]\s*`[A-Z][A-Z0-9_]*`)*)\s*\|")
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "docs").glob("*.md")):
        for line in path.read_text().splitlines():
            if match := row.match(line):
                for name in re.findall(r"`([A-Z0-9_]+)`", match.group(1)):
                    found.setdefault(name, []).append(path.name)
    return found


def test_the_template_names_every_setting_the_code_reads_and_no_other() -> None:
    in_code = {s for s in code_strings() if SETTING.match(s)}
    names = template_names()
    assert sorted(in_code - names) == [], "read by the code but missing from deploy/hotline.env.example"
    assert sorted(names - in_code - SERVE_ONLY) == [], "in the template but read nowhere in src/"
    assert code_strings() >= SERVE_ONLY  # serve's own variables exist too


def test_the_docs_tables_document_exactly_the_settings_of_the_template() -> None:
    documented = documented_settings()
    names = template_names()
    assert sorted(names - set(documented)) == [], "in the template but in no settings table of docs/"
    assert sorted(set(documented) - names) == [], "in a docs table but not in the template"
    operating = {n for n, files in documented.items() if "operating.md" in files}
    assert {"HOTLINE_SECRET_KEY", "HOTLINE_DATA_KEYS", "HOTLINE_INDEX_KEY", "DATABASE_URL"} <= operating


def test_the_required_settings_are_set_and_the_secrets_left_blank() -> None:
    active, _ = template_lines()
    required = ["HOTLINE_ENV", "HOTLINE_SECRET_KEY", "HOTLINE_DATA_KEYS", "HOTLINE_INDEX_KEY", "HOTLINE_ALLOWED_HOSTS"]
    for name in required:
        assert name in active, f"{name} must be an active line: production refuses to start without it"
    assert active["HOTLINE_ENV"] == "production"
    # Left blank, a copied template stops the start naming the key instead of running on a published one.
    assert active["HOTLINE_SECRET_KEY"] == active["HOTLINE_DATA_KEYS"] == active["HOTLINE_INDEX_KEY"] == ""


def test_the_template_with_every_default_spelt_out_passes_check_deploy(tmp_path: Path) -> None:
    """Every value the template shows, the commented defaults included, is one the code accepts."""
    active, commented = template_lines()
    values = {**{k: v for k, v in commented.items() if v}, **active}
    values.update(
        HOTLINE_SECRET_KEY=secrets.token_urlsafe(50),
        HOTLINE_DATA_KEYS=f"k1:{base64.b64encode(os.urandom(32)).decode()}",
        HOTLINE_INDEX_KEY=secrets.token_urlsafe(32),
        HOTLINE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
    )
    env = {k: v for k, v in os.environ.items() if not SETTING.match(k) and not k.startswith("DJANGO_")}
    env.update(values)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


# --- systemd units -----------------------------------------------------------------------------
def exec_starts(unit: Path) -> list[list[str]]:
    text = unit.read_text().replace("\\\n", " ")
    return [shlex.split(m.group(1)) for m in re.finditer(r"^ExecStart=(.+)$", text, re.MULTILINE)]


def serve_commands(monkeypatch: Any) -> list[list[str]]:
    """The argv lists `manage.py serve --host 127.0.0.1 --port 8000 --web-workers 2` starts."""
    from django.core.management import call_command

    from hotline.core.management.commands import serve

    started: list[list[str]] = []

    class Recorded:
        returncode = 0

        def __init__(self, args: list[str], **kwargs: Any) -> None:
            started.append([str(a) for a in args])
            self.args = args

        def poll(self) -> int:
            return 0

        def send_signal(self, signum: int) -> None:  # pragma: no cover - never running
            pass

        def wait(self, timeout: float | None = None) -> int:
            return 0

    with monkeypatch.context() as patch, open(os.devnull, "w") as devnull:
        # subprocess and time are the modules themselves: patched only while serve runs.
        patch.setattr(serve.subprocess, "Popen", Recorded)
        patch.setattr(serve.time, "sleep", lambda seconds: None)
        call_command("serve", host="127.0.0.1", port=8000, web_workers=2, stdout=devnull)
    return started


def db_worker_options(args: list[str]) -> dict[str, Any]:
    from django.core.management import load_command_class

    command = load_command_class("hotline.core", "db_worker")
    options = vars(command.create_parser("manage.py", "db_worker").parse_args(args))
    options.pop("worker_id")  # random per process
    return options


def test_the_web_unit_starts_granian_exactly_as_manage_py_serve(monkeypatch: Any) -> None:
    (unit_web,) = exec_starts(UNITS / "hotline-web.service")
    assert unit_web[0] == "/opt/hotline/.venv/bin/granian"
    web = next(argv for argv in serve_commands(monkeypatch) if argv[0].endswith("granian"))
    expected = [a if a != str(ROOT / "src") else "/opt/hotline/src" for a in web[1:]]
    assert unit_web[1:] == expected
    # The flags exist in this granian (an unknown one makes it exit 2 before --help).
    result = subprocess.run([web[0], *unit_web[1:-1], "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_worker_units_run_what_serve_runs(monkeypatch: Any) -> None:
    serve_workers = [argv[argv.index("db_worker") + 1 :] for argv in serve_commands(monkeypatch) if "db_worker" in argv]
    assert len(serve_workers) == 2
    (main,) = exec_starts(UNITS / "hotline-worker.service")
    (queue,) = exec_starts(UNITS / "hotline-worker@.service")
    assert main[:3] == queue[:3] == ["/opt/hotline/.venv/bin/python", "manage.py", "db_worker"]
    trace = [a.replace("%i", "trace") for a in queue[3:]]
    assert db_worker_options(main[3:]) == db_worker_options(serve_workers[0])
    assert db_worker_options(trace) == db_worker_options(serve_workers[1])
    assert db_worker_options(main[3:])["no_scheduler"] is False
    assert db_worker_options(trace)["no_scheduler"] is True


def test_the_housekeeping_unit_runs_commands_that_exist() -> None:
    from django.core.management import get_commands

    commands = exec_starts(UNITS / "hotline-housekeeping.service")
    assert [argv[2] for argv in commands] == ["clearsessions", "verify_audit"]
    assert all(argv[:2] == ["/opt/hotline/.venv/bin/python", "manage.py"] for argv in commands)
    assert {"clearsessions", "verify_audit"} <= set(get_commands())


def test_the_backup_unit_runs_the_backup_command() -> None:
    from django.core.management import get_commands

    (command,) = exec_starts(UNITS / "hotline-backup.service")
    assert command == ["/opt/hotline/.venv/bin/python", "manage.py", "backup"]
    assert "backup" in get_commands()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed (Debian: systemd)")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # Installed where this checkout is, so every executable and file they name exists.
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/etc/hotline/hotline.env", str(TEMPLATE)).replace("/opt/hotline", str(ROOT))
        (tmp_path / unit.name).write_text(text)
    shutil.copy(tmp_path / "hotline-worker@.service", tmp_path / "hotline-worker@trace.service")
    names = ["hotline-web.service", "hotline-worker.service", "hotline-worker@trace.service"]
    names += ["hotline-housekeeping.service", "hotline-housekeeping.timer"]
    names += ["hotline-backup.service", "hotline-backup.timer"]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{n}" for n in names)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hotline" not in result.stdout + result.stderr, result.stdout + result.stderr  # not even a warning


# --- container ---------------------------------------------------------------------------------
def containerfile_instruction(name: str) -> list[str]:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.+)$", text, re.MULTILINE)]


def test_the_container_runs_the_web_unit_command_as_a_non_root_user() -> None:
    (cmd,) = containerfile_instruction("CMD")
    container_web = json.loads(cmd)
    (unit_web,) = exec_starts(UNITS / "hotline-web.service")
    unit_web[unit_web.index("--host") + 1] = "0.0.0.0"  # inside the container, reached through its port
    assert container_web == ["granian", *unit_web[1:]]
    users = containerfile_instruction("USER")
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    (healthcheck,) = containerfile_instruction("HEALTHCHECK")
    assert "deploy/healthcheck.py" in healthcheck and (DEPLOY / "healthcheck.py").exists()


def test_the_container_copies_files_that_exist_and_pins_every_runtime_package() -> None:
    for copy in containerfile_instruction("COPY"):
        if copy.startswith("--from="):
            continue
        *sources, _target = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    pinned = (ROOT / "requirements/lock.txt").read_text().split()
    lock = {line.split("==")[0].lower().replace("_", "-") for line in pinned}
    for line in (ROOT / "requirements/base.in").read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()  # comments are not packages
        name = re.split(r"[\[<>=~! ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        if name:
            assert name in lock, f"{name} (base.in) has no pin in lock.txt: the image would take any version"
    for env in containerfile_instruction("ENV"):
        for name in re.findall(r"\b([A-Z][A-Z0-9_]*)=", env):
            assert not name.startswith("HOTLINE_") or name in template_names(), name


@pytest.mark.slow
def test_the_health_check_passes_for_a_production_server_and_fails_otherwise(tmp_path: Path) -> None:
    (unit_web,) = exec_starts(UNITS / "hotline-web.service")
    port = free_port()
    argv = [str(Path(sys.executable).with_name("granian")), *unit_web[1:]]
    argv[argv.index("--port") + 1] = str(port)
    argv[argv.index("--workers") + 1] = "1"
    argv[argv.index("--working-dir") + 1] = str(ROOT / "src")
    env = {k: v for k, v in os.environ.items() if not SETTING.match(k) and not k.startswith("DJANGO_")}
    env.update(
        HOTLINE_ENV="production",
        HOTLINE_SECRET_KEY=secrets.token_urlsafe(50),
        HOTLINE_DATA_KEYS=f"k1:{base64.b64encode(os.urandom(32)).decode()}",
        HOTLINE_INDEX_KEY=secrets.token_urlsafe(32),
        HOTLINE_ALLOWED_HOSTS="hotline.example.org",
        HOTLINE_PUBLIC_URL="https://hotline.example.org",
        HOTLINE_VAR_DIR=str(tmp_path),
        HOTLINE_STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'hotline.sqlite3'}",
    )

    def check(**overrides: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(DEPLOY / "healthcheck.py")],
            capture_output=True, text=True, timeout=30, env={**env, "PORT": str(port), **overrides},
        )  # fmt: skip

    # As deployed: production serves the hashed static files collectstatic writes (its 400 page uses them).
    collect = [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, env=env, cwd=ROOT, check=True, timeout=300)
    assert check().returncode == 1  # nothing listens yet
    server = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while check().returncode != 0:
            assert server.poll() is None, "the web server of hotline-web.service stopped"
            assert time.monotonic() < deadline, check().stderr
            time.sleep(0.5)
        wrong_host = check(HOTLINE_ALLOWED_HOSTS="elsewhere.example.org")
        assert wrong_host.returncode == 1 and "400" in wrong_host.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert check().returncode == 1
