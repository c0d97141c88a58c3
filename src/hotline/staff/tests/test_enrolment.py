"""Enrolment by one-time link: password rules, QR code, confirm with a code, recovery codes once,
single use, expiry; create_staff prints a link that works; a reset ends the old devices."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken

from hotline.core.models import AuditEntry
from hotline.staff import services
from hotline.staff.factories import current_totp
from hotline.staff.models import EnrolmentLink, StaffUser, TOTPDevice
from hotline.staff.services import create_staff_user, reset_two_factor

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "lilac-harbour-tundra-91"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def en_client() -> Client:
    c = Client()
    c.cookies["hotline_language"] = "en"
    return c


def secret_from_page(content: bytes) -> str:
    match = re.search(rb'<span class="secret">([A-Z2-7 ]+)</span>', content)
    assert match, "the enrolment page shows the secret as text"
    return match.group(1).decode().replace(" ", "")


def code_for(secret: str) -> str:
    import base64

    return f"{totp(base64.b32decode(secret)):06d}"


def new_account(roles: tuple[str, ...] = ("analyst",)) -> tuple[StaffUser, str]:
    return create_staff_user(email="new.analyst@hotline.example", roles=roles, actor="test")


def enrol(client: Client, link: str, *, password: str = NEW_PASSWORD, code: str | None = None) -> Any:
    page = client.get(link)
    assert page.status_code == 200
    secret = secret_from_page(page.content)
    return client.post(
        link, {"password1": password, "password2": password, "code": code if code is not None else code_for(secret)}
    )


def test_enrolment_page_shows_a_csp_safe_qr_code_and_the_secret(en_client: Client) -> None:
    user, link = new_account()
    page = en_client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'class="qr-code"' in html
    assert "style=" not in html and "<script" not in html and "onload" not in html
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    secret = secret_from_page(page.content)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    import base64

    assert base64.b32decode(secret) == device.bin_key
    assert en_client.get(link).content.count(secret[:4].encode()) >= 1
    assert secret_from_page(en_client.get(link).content) == secret, "a second visit shows the same secret"


def test_full_enrolment_signs_in_and_shows_ten_recovery_codes_once(en_client: Client) -> None:
    user, link = new_account()
    response = enrol(en_client, link)
    assert response.status_code == 200
    codes = re.findall(rb"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", response.content)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert b"shown only now" in response.content
    assert "no-store" in response["Cache-Control"]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=user).count() == 10
    # Stored as keyed hashes only: the database alone holds no code that signs in.
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    shown = {code.decode().replace("-", "") for code in codes}
    assert not stored & shown and all(len(t) == 16 and int(t, 16) >= 0 for t in stored)
    assert stored == {services.recovery_code_digest(code) for code in shown}
    assert en_client.get("/staff/").status_code == 200, "enrolment signs the person in"
    assert AuditEntry.objects.filter(action="staff.enrolled", object_id=str(user.pk)).exists()
    # The codes are in no other page.
    assert codes[0] not in en_client.get("/staff/").content


def test_the_link_works_once(en_client: Client) -> None:
    _user, link = new_account()
    assert enrol(en_client, link).status_code == 200
    again = Client()
    again.cookies["hotline_language"] = "en"
    used = again.get(link)
    assert used.status_code == 410
    assert b"expired or has already been used" in used.content
    assert again.post(link, {"password1": "x", "password2": "x", "code": "123456"}).status_code == 410


def test_the_link_expires(en_client: Client, settings: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        _user, link = new_account()
        clock.shift(settings.HOTLINE_ENROLMENT_VALID - timedelta(minutes=1))
        assert en_client.get(link).status_code == 200
        clock.shift(timedelta(minutes=2))
        assert en_client.get(link).status_code == 410


def test_unknown_token_and_deactivated_account_are_refused(en_client: Client) -> None:
    user, link = new_account()
    assert en_client.get("/staff/enrol/not-a-real-token/").status_code == 410
    user.is_active = False
    user.save()
    assert en_client.get(link).status_code == 410


def test_a_new_link_retires_the_old_one(en_client: Client) -> None:
    user, old = new_account()
    new = reset_two_factor(user=user, actor="test")
    assert en_client.get(old).status_code == 410
    assert en_client.get(new).status_code == 200


@pytest.mark.parametrize(
    ("password", "expected"),
    [("short", b"too short"), ("password1234", b"too common"), ("new.analyst@hotline", b"too similar")],
)
def test_weak_passwords_are_refused(password: str, expected: bytes, en_client: Client) -> None:
    user, link = new_account()
    response = enrol(en_client, link, password=password)
    assert response.status_code == 400 and expected in response.content
    assert not StaffUser.objects.get(pk=user.pk).has_usable_password()
    assert en_client.get(link).status_code == 200, "the link still works after a refused attempt"


def test_mismatched_passwords_and_wrong_code_are_refused(en_client: Client) -> None:
    user, link = new_account()
    page = en_client.get(link)
    secret = secret_from_page(page.content)
    mismatch = en_client.post(
        link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x", "code": code_for(secret)}
    )
    assert mismatch.status_code == 400 and b"not the same" in mismatch.content
    right = code_for(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    bad_code = en_client.post(link, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "code": wrong})
    assert bad_code.status_code == 400 and b"The code is not correct" in bad_code.content
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert EnrolmentLink.objects.get(user=user).used_at is None


def test_after_enrolment_the_normal_sign_in_works(en_client: Client) -> None:
    with time_machine.travel(START, tick=False) as clock:
        user, link = new_account()
        enrol(en_client, link)
        en_client.post("/staff/logout/")
        clock.shift(timedelta(seconds=60))
        other = Client()
        other.post("/staff/login/", {"email": user.email, "password": NEW_PASSWORD})
        assert other.post("/staff/login/verify/", {"otp_token": current_totp(user)})["Location"] == "/cases/"


def test_reset_ends_open_sessions_and_old_devices(staff_client: Any) -> None:
    client = staff_client("analyst")
    assert client.get("/staff/").status_code == 200
    reset_two_factor(user=client.user, actor="test")
    assert client.get("/staff/").status_code == 302
    assert not TOTPDevice.objects.filter(user=client.user).exists()
    assert not StaffUser.objects.get(pk=client.user.pk).has_usable_password()


def test_create_staff_prints_a_link_that_works(en_client: Client, settings: Any) -> None:
    out = StringIO()
    call_command("create_staff", "--email", "Johan@Hotline.Example", "--role", "analyst,supervisor", stdout=out)
    text = out.getvalue()
    match = re.search(r"(https?://\S+)(/staff/enrol/\S+/)", text)
    assert match, text
    assert match.group(1) == settings.HOTLINE_PUBLIC_URL
    user = StaffUser.objects.get(email="johan@hotline.example")
    assert user.role_names == {"analyst", "supervisor"}
    assert enrol(en_client, match.group(2)).status_code == 200
    assert en_client.get("/staff/").status_code == 200


def test_create_staff_with_an_unknown_role_fails_clearly() -> None:
    with translation.override("en"), pytest.raises(CommandError) as excinfo:
        call_command("create_staff", "--email", "x@hotline.example", "--role", "analyst", "--role", "overlord")
    message = str(excinfo.value)
    assert "Unknown role: overlord" in message and "analyst" in message
    assert not StaffUser.objects.filter(email="x@hotline.example").exists()


def test_create_staff_exits_non_zero_from_the_command_line(tmp_path: Any) -> None:
    """The real process: non-zero exit and the message on stderr (no traceback)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    manage = Path(__file__).resolve().parents[4] / "manage.py"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "HOTLINE_VAR_DIR": str(tmp_path)}
    env.pop("HOTLINE_ENV", None)
    result = subprocess.run(
        [sys.executable, str(manage), "create_staff", "--email", "x@hotline.example", "--role", "overlord"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "overlord" in result.stderr and "Traceback" not in result.stderr
