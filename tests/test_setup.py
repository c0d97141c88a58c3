"""A fresh machine in two commands: scripts/setup-system.sh says in one line what it cannot install and
lets make go on, browser tests are skipped with that reason when chromium is missing (an error in CI),
the catalogues compile without gettext, and the dependency audit fails on a known vulnerability and
skips, saying why, only when no vulnerability feed answers."""

from __future__ import annotations

import gettext
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import conftest

ROOT = Path(__file__).resolve().parent.parent
SETUP = ROOT / "scripts" / "setup-system.sh"


# --- scripts/setup-system.sh -----------------------------------------------------------------
def tool_dir(tmp_path: Path, *, without: set[str]) -> Path:
    """A PATH with the commands the script uses, minus `without` (as on a machine lacking them)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ["bash", "dirname", "grep", "id", "mktemp", "rm", "cat", "env", "msgfmt", "wrk", "g++"]:
        found = shutil.which(name)
        if found and name not in without:
            (bin_dir / name).symlink_to(found)
    return bin_dir


def setup(purpose: str, path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(path / "bash"), str(SETUP), purpose],
        capture_output=True, text=True, timeout=60, env={"PATH": str(path), **env},
    )  # fmt: skip


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs gettext's msgfmt present to take it away")
def test_setup_says_in_one_line_what_it_cannot_install_and_goes_on(tmp_path: Path) -> None:
    path = tool_dir(tmp_path, without={"msgfmt"})
    for how in ({"HOTLINE_SETUP": "skip"}, {}):  # skipped on purpose; no apt-get on this PATH
        result = setup("run", path, **how)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert "gettext" in lines[0] and "apt-get install --no-install-recommends gettext" in lines[0]
        assert "polib" in lines[0]  # what goes on without it
    assert "(HOTLINE_SETUP=skip)" in setup("run", path, HOTLINE_SETUP="skip").stderr
    # CI must not go on without its packages.
    assert setup("ci", path, HOTLINE_SETUP="skip").returncode == 1


def test_setup_is_silent_and_quick_when_nothing_is_missing(tmp_path: Path) -> None:
    path = tool_dir(tmp_path, without=set())
    files = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/etc/ssl/certs/ca-certificates.crt"]
    if not shutil.which("msgfmt") or not all(Path(p).exists() for p in files):
        pytest.skip("this machine lacks one of make run's Debian packages")
    started = time.monotonic()
    result = setup("run", path, HOTLINE_SETUP="skip")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert time.monotonic() - started < 5  # file checks only: no apt-get update


def test_setup_refuses_an_unknown_purpose(tmp_path: Path) -> None:
    result = setup("everything", tool_dir(tmp_path, without=set()))
    assert result.returncode == 2 and "usage" in result.stderr


# --- browser tests without chromium ---------------------------------------------------------
def test_browser_tests_are_skipped_with_the_reason_when_chromium_is_missing(monkeypatch: Any) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("HOTLINE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install --no-install-recommends chromium"):
        conftest.require_chromium()
    monkeypatch.setenv("HOTLINE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="HOTLINE_REQUIRE_BROWSER=1"):
        conftest.require_chromium()


# --- other Debian packages single tests need (tor, nginx, the Ethiopic font) ---------------------------------
def test_a_test_needing_a_missing_package_is_skipped_with_the_reason_and_fails_in_ci(monkeypatch: Any) -> None:
    monkeypatch.setitem(conftest.SYSTEM_PACKAGES, "tor", "/nonexistent/tor")
    monkeypatch.delenv("HOTLINE_REQUIRE_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install --no-install-recommends tor"):
        conftest.require_package("tor")
    monkeypatch.setenv("HOTLINE_REQUIRE_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="HOTLINE_REQUIRE_TOOLS=1"):
        conftest.require_package("tor")


def test_ci_installs_every_package_a_test_needs_and_may_skip_none() -> None:
    script = SETUP.read_text()
    ci_packages = re.search(r"^  ci\) packages\+=\(([^)]*)\)", script, re.M).group(1).split()  # type: ignore[union-attr]
    for package, probe in conftest.SYSTEM_PACKAGES.items():
        assert package in ci_packages, f"scripts/setup-system.sh ci does not install {package}"
        assert f"  [{package}]={probe}\n" in script, f"setup-system.sh probes {package} elsewhere than conftest"
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^export HOTLINE_REQUIRE_BROWSER=1 HOTLINE_REQUIRE_TOOLS=1\b", ci_run, re.M)
    assert ci_run.index("HOTLINE_REQUIRE_TOOLS=1") < ci_run.index("\nmake test")


@pytest.mark.slow
def test_a_browser_module_reports_skips_not_errors_without_chromium(tmp_path: Path) -> None:
    # A plugin that takes chromium away before the tests run, as on a machine without it.
    (tmp_path / "no_chromium.py").write_text(
        "import sys\n\n\ndef pytest_sessionstart(session):\n"
        "    sys.modules['conftest'].CHROMIUM = '/nonexistent/chromium'\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"HOTLINE_REQUIRE_BROWSER", "DATABASE_URL"}}
    env["PYTHONPATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no_chromium", "-q", "tests/e2e/test_staff_login.py"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 skipped" in result.stdout and "error" not in result.stdout.lower()
    assert conftest.CHROMIUM_MISSING in result.stdout


# --- catalogues without gettext -------------------------------------------------------------
@pytest.mark.skipif(not shutil.which("msgfmt"), reason="compares against gettext's msgfmt")
def test_polib_compiles_the_same_catalogues_as_msgfmt(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import compile_messages
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    catalogues = compile_messages.catalogues()
    assert len(catalogues) >= 14  # sv and en of every app
    compared = 0
    for po_path in catalogues:
        by_msgfmt, by_polib = tmp_path / "msgfmt.mo", tmp_path / "polib" / po_path.name
        by_polib.parent.mkdir(exist_ok=True)
        subprocess.run(["msgfmt", "--check-format", "-o", str(by_msgfmt), str(po_path)], check=True)
        copy = by_polib.with_suffix(".po")
        shutil.copy(po_path, copy)
        assert compile_messages.compile_with_polib([copy], force=True) == 1
        with by_msgfmt.open("rb") as a, by_polib.with_suffix(".mo").open("rb") as b:
            expected, got = gettext.GNUTranslations(a), gettext.GNUTranslations(b)
        # Every translation the same (the header entry "" differs only in which fields msgfmt keeps).
        translated = {k: v for k, v in expected._catalog.items() if k != ""}  # type: ignore[attr-defined]
        assert {k: v for k, v in got._catalog.items() if k != ""} == translated, po_path  # type: ignore[attr-defined]
        compared += len(translated)
        assert got.charset().lower() == expected.charset().lower() == "utf-8"
        assert [got.plural(n) for n in range(3)] == [expected.plural(n) for n in range(3)]
    assert compared > 500  # the Swedish catalogues are full


# --- dependency audit -----------------------------------------------------------------------
class FakeOsv(BaseHTTPRequestHandler):
    """An OSV server that knows one made-up vulnerability: in `vulnerable==1.0`."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        vulns = []
        if query["package"]["name"] == "vulnerable" and query["version"] == "1.0":
            vulns = [
                {
                    "id": "PYSEC-0000-1",
                    "summary": "A made-up vulnerability for the test",
                    "affected": [
                        {
                            "package": {"name": "vulnerable", "ecosystem": "PyPI"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}],
                        }
                    ],
                }
            ]
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()


def audit(lock: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_dependencies.py"), "--lock", str(lock),
         "--cache-dir", str(lock.parent / "cache"), *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_audit_fails_on_a_known_vulnerability(tmp_path: Path, osv_url: str) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("Django==5.2.19\nvulnerable==1.0\n")
    result = audit(lock, "--osv-url", osv_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PYSEC-0000-1" in result.stdout and "vulnerable" in result.stdout


def test_the_audit_passes_pins_without_known_vulnerabilities(tmp_path: Path, osv_url: str) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("Django==5.2.19\nvulnerable==1.1\n")
    result = audit(lock, "--osv-url", osv_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No known vulnerabilities found" in result.stdout + result.stderr


def test_the_audit_skips_in_one_line_saying_why_when_no_feed_answers(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("Django==5.2.19\n")
    with socket_nobody_listens_on() as url:
        result = audit(lock, "--osv-url", url)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pip-audit skipped: no vulnerability feed can be reached")
    assert url in lines[0]


class socket_nobody_listens_on:
    """A loopback URL on a port just closed: connecting is refused at once."""

    def __enter__(self) -> str:
        port = conftest.free_port()
        return f"http://127.0.0.1:{port}/v1/query"

    def __exit__(self, *exc: object) -> None:
        pass
