"""Test fixtures shared by every app: staff clients with two factors, a real SMTP server,
the task runner, a browser (Playwright + Debian chromium)."""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # Persistent connections help servers, not tests: a live-server thread holding one open would
    # keep PostgreSQL from dropping the test database at the end.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a migrated SQLite file for tests that start their own processes ----------------------------------------
@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: Any, worker_id: str) -> Callable[[Any], Any]:
    """migrated_sqlite(path) -> path: a SQLite file with every migration applied, for the processes a test starts
    (`manage.py serve`, granian, the workers). Copied from one template that `manage.py migrate` made once for the
    whole run, shared by every pytest-xdist worker: each migrate costs about ten seconds of CPU. The migrations
    read no setting but the user model, so the one template serves every configuration (development and
    production settings alike)."""
    import fcntl
    import shutil
    import sqlite3
    from pathlib import Path

    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # pytest-xdist: <run>/popen-gw0; the run's directory is shared by the workers
        root = root.parent
    template = root / "migrated-template.sqlite3"
    with (root / "migrated-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            making = root / "migrated-template-making"
            shutil.rmtree(making, ignore_errors=True)
            making.mkdir()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL", "DJANGO_"))}
            env.update(
                DATABASE_URL=f"sqlite:///{making / 'hotline.sqlite3'}",
                HOTLINE_ENV="development",
                HOTLINE_VAR_DIR=str(making),
            )
            manage = [sys.executable, str(Path(__file__).with_name("manage.py")), "migrate", "--noinput", "-v", "0"]
            subprocess.run(manage, env=env, cwd=Path(__file__).parent, check=True, timeout=600)
            # Everything into the one file (no -wal beside it), then in place at once.
            with sqlite3.connect(making / "hotline.sqlite3") as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            (making / "hotline.sqlite3").rename(template)

    def copy_to(path: Any) -> Any:
        shutil.copyfile(template, path)
        return path

    return copy_to


# --- figures printed after the run ---------------------------------------------------------------
_FIGURES: list[str] = []


def pytest_runtest_logreport(report: Any) -> None:
    # In the main process, also under pytest-xdist (workers send their reports here).
    _FIGURES.extend(value for name, value in report.user_properties if name == "conformance_figure")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("conformance suites")
        for line in _FIGURES:
            terminalreporter.write_line(line)


# --- staff --------------------------------------------------------------------------------
@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    """make_staff("analyst", "supervisor", email=...) -> StaffUser with a confirmed TOTP device
    (hotline.staff.factories.staff_user; addresses staff1@, staff2@... in each test unless given)."""
    from hotline.staff.factories import TEST_PASSWORD, staff_user

    counter = {"n": 0}

    def make(*roles: str, email: str | None = None, password: str = TEST_PASSWORD) -> Any:
        counter["n"] += 1
        return staff_user(*roles, email=email or f"staff{counter['n']}@hotline.example", password=password)

    return make


@pytest.fixture
def staff_client(make_staff: Callable[..., Any], client: Any) -> Callable[..., Any]:
    """staff_client("analyst") -> a Django test client signed in with two factors as a new user."""

    def make(*roles: str, **kwargs: Any) -> Any:
        from django.test import Client

        from hotline.staff.factories import login_verified

        c = Client()
        user = make_staff(*roles, **kwargs)
        login_verified(c, user)
        c.user = user  # type: ignore[attr-defined]
        return c

    return make


# --- tasks --------------------------------------------------------------------------------
@pytest.fixture
def run_tasks(db: Any) -> Callable[[], int]:
    """Run every ready background task in-process with the real worker code; returns how many ran."""
    from hotline.core.taskqueue import run_pending_tasks

    return run_pending_tasks


# --- SMTP ---------------------------------------------------------------------------------
@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    fail_with: str | None = None  # e.g. "451 Try again later" to refuse mail


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.fail_with:
            return self.sink.fail_with
        self.sink.envelopes.append(envelope)
        self.sink.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on loopback; Django's SMTP backend is pointed at it."""
    from aiosmtpd.controller import Controller

    port = free_port()
    sink = SmtpSink(host="127.0.0.1", port=port)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield sink
    finally:
        controller.stop()


# --- browser ------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


CHROMIUM_MISSING = (
    f"Debian's chromium is not installed ({CHROMIUM}): sudo apt-get install --no-install-recommends chromium "
    "(make test installs it when run as root)"
)


@functools.cache
def browser_missing(chromium: str) -> str | None:
    """Why browser tests cannot run here (one line), or None. Checked once per session."""
    if not os.path.exists(chromium):
        return CHROMIUM_MISSING
    # Playwright's driver is a Node binary in the wheel; on a minimal Debian it lacks libatomic1.
    driver = subprocess.run([sys.executable, "-m", "playwright", "--version"], capture_output=True, text=True)
    if driver.returncode != 0:
        detail = (driver.stderr.strip().splitlines() or ["no output"])[-1]
        return (
            f"Playwright's driver does not start ({detail}): sudo apt-get install --no-install-recommends "
            "libatomic1 (make test installs it when run as root)"
        )
    return None


def require_chromium() -> None:
    """Skip a browser test, with the one-line reason, where it cannot run; fail instead where
    HOTLINE_REQUIRE_BROWSER=1 (CI), so a broken set-up never passes by skipping every browser test."""
    reason = browser_missing(CHROMIUM)
    if reason is None:
        return
    if os.environ.get("HOTLINE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; HOTLINE_REQUIRE_BROWSER=1 makes this an error.")
    pytest.skip(reason)


# Debian packages that single tests need besides chromium -> the file each test uses (the same probes as
# scripts/setup-system.sh, whose `ci` purpose installs every one: tests/test_setup.py checks both agree).
SYSTEM_PACKAGES = {
    "tor": "/usr/sbin/tor",
    "nginx": "/usr/sbin/nginx",
    "fonts-sil-abyssinica": "/usr/share/fonts/truetype/abyssinica/AbyssinicaSIL-Regular.ttf",
}


def require_package(package: str) -> None:
    """Skip a test whose Debian package is missing, with the one-line reason; fail instead where
    HOTLINE_REQUIRE_TOOLS=1 (CI), so a check that CI installs for never passes there by skipping."""
    if os.path.exists(SYSTEM_PACKAGES[package]):
        return
    reason = (
        f"Debian's {package} is not installed ({SYSTEM_PACKAGES[package]}): sudo apt-get install "
        f"--no-install-recommends {package} (scripts/setup-system.sh ci installs it)"
    )
    if os.environ.get("HOTLINE_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{reason}; HOTLINE_REQUIRE_TOOLS=1 makes this an error.")
    pytest.skip(reason)


def pytest_runtest_setup(item: Any) -> None:
    # Every test marked `browser` needs chromium, also those that launch it without the fixtures below.
    if item.get_closest_marker("browser"):
        require_chromium()
    for marker in item.iter_markers("system_package"):
        require_package(*marker.args)


DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "live_server"})


@functools.cache
def _module_source(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as source:
            return source.read()
    except OSError:
        return ""


def _module_reads_database_url(path: str) -> bool:
    return "DATABASE_URL" in _module_source(path)


def uses_the_database(item: Any) -> bool:
    """Marked `database`: the tests whose answer can depend on the database's dialect, so CI runs them on
    PostgreSQL too (`-m database`). A test uses it through a database fixture or mark, or by starting
    processes on the database DATABASE_URL names (its module reads that variable), unless it is marked
    `own_sqlite`: then its processes use a SQLite file of its own on either pass, and the SQLite pass ran it."""
    if item.get_closest_marker("django_db") is not None:
        return True
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if item.get_closest_marker("own_sqlite") is not None:
        return False  # its processes run on a SQLite file of their own whatever DATABASE_URL names
    return _module_reads_database_url(str(getattr(item, "path", "")))


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: a test that uses the browser is marked `browser`
def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    """The tests that start real servers (`slow`) run first and browser tests last (each in their collected
    order), on every pytest-xdist worker too: a test of minutes started near the end would end the run alone.

    The session's browser keeps Playwright's event loop running in the main thread from its first test
    on; while it runs, Django keeps the test's database connections apart from the thread's own
    (asgiref sees a running loop) and never closes them. Running every other test first keeps that
    state away from them; the browser fixtures close the connections after each test."""
    browser_tests, slow_tests = [], []
    for item in items:
        if uses_the_database(item):
            item.add_marker(pytest.mark.database)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser") is not None:
            browser_tests.append(item)
        elif item.get_closest_marker("slow") is not None:
            slow_tests.append(item)
    chosen = {id(item) for item in browser_tests + slow_tests}
    items[:] = slow_tests + [item for item in items if id(item) not in chosen] + browser_tests


def _module_shares_fixtures(path: str) -> bool:
    return 'scope="module"' in _module_source(path)


def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    """Under pytest-xdist (`-n`, its default `--dist load`): tests go out one at a time in the order above (slow
    first, browser last), to whichever worker is free, except that a module with module-scoped fixtures (its
    servers, its migrated template) goes whole to one worker, so they start once. (xdist's own `loadgroup`
    does not group under pytest 9: the marks never reach the test ids it groups by.)"""
    if config.getvalue("dist") != "load":
        return None  # another --dist asked for: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath

    class OneWorkerPerSharedModule(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if _module_shares_fixtures(str(root / module)) else nodeid

    config.option.loadscopereorder = False  # the collected order, not the largest scope first
    return OneWorkerPerSharedModule(config, log)


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """For tests that call the WSGI application directly (schemathesis in-process): as Django's test Client
    does, the handler must not close the test transaction's connection at the end of each request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium (Debian's; never a downloaded browser) for the whole session: tests get their own
    context (`new_browser_context`, `browser_context`, `page`), so no cookie, storage or permission
    leaks from one test to the next. Started at the first browser test, closed at the end."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        _close_test_connections()


@pytest.fixture
def new_browser_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """new_browser_context(java_script_enabled=False, locale="sv-SE", ...) -> a fresh browser context
    (Playwright's `Browser.new_context` options), closed with everything in it after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    try:
        yield make
    finally:
        for context in contexts:
            # A route handler still busy with a late request (a stylesheet, a favicon) would otherwise
            # raise "Request context disposed" into whatever the next test does first.
            for open_page in context.pages:
                open_page.unroute_all(behavior="ignoreErrors")
            context.unroute_all(behavior="ignoreErrors")
            context.close()
        _wait_for_live_server_requests()
        _close_test_connections()


def _wait_for_live_server_requests(timeout: float = 15.0) -> None:
    """Let the live server finish what the closed browser asked of it before the test's database is
    flushed: on PostgreSQL a request still writing while TRUNCATE takes its locks ends in a deadlock, and
    the flush (and so the test) fails. The live server answers each connection in a thread of its own."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread is threading.current_thread() or "process_request_thread" not in thread.name:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))


def _close_test_connections() -> None:
    # While Playwright's event loop runs in this thread, Django keeps the test's database connections
    # apart from the thread's own (asgiref sees a running loop), and never closes them: PostgreSQL would
    # then refuse to drop the test database at the end of the run.
    from django.db import connections

    connections.close_all()


@pytest.fixture
def browser_context(new_browser_context: Callable[..., Any]) -> Any:
    """A fresh context with JavaScript on, as most visitors have it."""
    return new_browser_context(java_script_enabled=True)


@pytest.fixture
def page(browser_context: Any) -> Any:
    return browser_context.new_page()
