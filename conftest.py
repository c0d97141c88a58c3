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


# --- staff --------------------------------------------------------------------------------
@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    """make_staff("analyst", "supervisor", email=...) -> StaffUser with a confirmed TOTP device."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hotline.staff.models import StaffUser

    counter = {"n": 0}

    def make(*roles: str, email: str | None = None, password: str = "correct horse battery staple") -> Any:
        counter["n"] += 1
        user = StaffUser.objects.create_user(email=email or f"staff{counter['n']}@hotline.example", password=password)
        # get_or_create: transactional tests flush the groups that the data migration created.
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


def login_verified(client: Any, user: Any) -> Any:
    """Sign `user` in on a test client with the second factor verified (as after a TOTP step)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = user.totpdevice_set.filter(confirmed=True).first()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(make_staff: Callable[..., Any], client: Any) -> Callable[..., Any]:
    """staff_client("analyst") -> a Django test client signed in with two factors as a new user."""

    def make(*roles: str, **kwargs: Any) -> Any:
        from django.test import Client

        c = Client()
        user = make_staff(*roles, **kwargs)
        login_verified(c, user)
        c.user = user  # type: ignore[attr-defined]
        return c

    return make


def current_totp(user: Any) -> str:
    from django_otp.oath import totp

    device = user.totpdevice_set.filter(confirmed=True).first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


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


@pytest.fixture
def browser_context(tmp_path: Any) -> Iterator[Any]:
    """A fresh Chromium profile driven by Playwright (Debian's chromium; never a downloaded browser)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            java_script_enabled=True,
        )
        try:
            yield context
        finally:
            context.close()
            # While Playwright's event loop runs in this thread, Django keeps the test's database
            # connections apart from the thread's own (asgiref sees a running loop), and never closes
            # them: PostgreSQL would then refuse to drop the test database at the end of the run.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def page(browser_context: Any) -> Any:
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()
