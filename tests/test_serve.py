"""`make run`'s last step: `manage.py serve` starts web server and worker, prints URL and logins,
and Ctrl-C (SIGINT) stops both. `demo_data` is idempotent."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def children_of(pid: int) -> list[str]:
    """Process ids whose parent is `pid`, from /proc (pgrep is not on a minimal Debian)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(stat.parent.name)
    return found


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_serve_runs_web_and_worker_and_stops_on_ctrl_c(tmp_path: Path, migrated_sqlite: Callable[[Path], Path]) -> None:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", HOTLINE_VAR_DIR=str(tmp_path), HOTLINE_ENV="development"
    )
    env.pop("HOTLINE_PUBLIC_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrated_sqlite(tmp_path / "run.sqlite3")  # as `make run` migrates first
    first = subprocess.run(
        [*manage, "demo_data"], env=env, cwd=ROOT, check=True, timeout=300, capture_output=True, text=True
    )
    second = subprocess.run(
        [*manage, "demo_data"], env=env, cwd=ROOT, check=True, timeout=300, capture_output=True, text=True
    )
    assert "Demo data ready." in first.stdout and "Demo data ready." in second.stdout

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        # A session of its own: should the test fail, its web server and workers go with it (finally).
        proc = subprocess.Popen(
            [*manage, "serve", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read()
                    break
            except OSError:
                time.sleep(0.3)
        assert b'"ok"' in body
        time.sleep(1.5)
        output = log.read_text()
        assert f"http://127.0.0.1:{port}/" in output
        assert "analyst@hotline.example" in output and "TOTP secret" in output
        # Share links name the port this server runs on (HOTLINE_PUBLIC_URL unset), not the default 8000.
        url = f"http://127.0.0.1:{port}/petitions/barnets-rattigheter-pa-juristutbildningen/"
        with urllib.request.urlopen(url, timeout=5) as response:
            page = response.read().decode()
        assert url in page and "127.0.0.1:8000" not in page
        children = children_of(proc.pid)
        assert len(children) >= 2  # web server and worker
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        time.sleep(0.5)
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of the session is left


def test_running_address_is_one_a_browser_reaches() -> None:
    from hotline.core.management.commands.serve import running_address

    assert running_address("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert running_address("0.0.0.0", 8124) == "http://127.0.0.1:8124"
    assert running_address("::1", 8125) == "http://[::1]:8125"
