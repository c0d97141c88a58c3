"""Staff sign-in: password then TOTP, generic errors, lockout counting both steps, replay, recovery codes,
safe `next`, idle timeout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from hotline.core.models import AuditEntry
from hotline.staff import services
from hotline.staff.factories import current_totp

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def en_client() -> Client:
    c = Client()
    c.cookies["hotline_language"] = "en"
    return c


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def password_step(client: Client, email: str, password: str = PASSWORD, next_url: str = "") -> Any:
    return client.post("/staff/login/", {"email": email, "password": password, "next": next_url})


def code_step(client: Client, code: str) -> Any:
    return client.post("/staff/login/verify/", {"otp_token": code})


def is_signed_in(client: Client) -> bool:
    return client.get("/staff/").status_code == 200


def test_happy_path_with_a_real_totp_code(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst")
    response = password_step(en_client, user.email)
    assert response.status_code == 302 and response["Location"] == "/staff/login/verify/"
    assert not is_signed_in(en_client), "the password alone must not sign anyone in"
    response = code_step(en_client, current_totp(user))
    assert response.status_code == 302 and response["Location"] == "/cases/"  # an analyst lands on the queue
    home = en_client.get("/staff/")
    assert home.status_code == 200
    assert b"Analyst" in home.content and b"/cases/" in home.content
    signed_in = AuditEntry.objects.filter(action="staff.signed_in", object_id=str(user.pk)).get()
    assert signed_in.details == {"method": "totp"}


def test_email_is_case_insensitive(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst", email="sara@hotline.example")
    assert password_step(en_client, "Sara@Hotline.Example")["Location"] == "/staff/login/verify/"
    assert code_step(en_client, current_totp(user)).status_code == 302
    assert is_signed_in(en_client)


@pytest.mark.parametrize("email", ["known", "nobody@hotline.example"])
def test_wrong_password_or_unknown_email_gives_the_same_generic_error(
    email: str, make_staff: Any, en_client: Client
) -> None:
    user = make_staff("analyst")
    response = password_step(en_client, user.email if email == "known" else email, password="wrong password 123")
    assert response.status_code == 400
    assert b"Wrong email or password." in response.content
    assert not is_signed_in(en_client)


def test_wrong_totp_gives_a_generic_error_and_is_audited(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst")
    password_step(en_client, user.email)
    wrong = f"{(int(current_totp(user)) + 1) % 1_000_000:06d}"
    response = code_step(en_client, wrong)
    assert response.status_code == 400 and b"Wrong code." in response.content
    assert not is_signed_in(en_client)
    assert AuditEntry.objects.filter(action="staff.second_factor_refused", object_id=str(user.pk)).exists()


def test_malformed_email_gives_400_with_a_message(en_client: Client) -> None:
    response = password_step(en_client, "not-an-email")
    assert response.status_code == 400 and b"valid email" in response.content


def test_code_step_without_the_password_step_goes_back_to_sign_in(make_staff: Any, en_client: Client) -> None:
    user = make_staff("analyst")
    response = code_step(en_client, current_totp(user))
    assert response.status_code == 302 and response["Location"] == "/staff/login/"
    assert not is_signed_in(en_client)


def test_password_step_expires_after_five_minutes(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst")
    password_step(en_client, user.email)
    clock.shift(timedelta(minutes=6))
    response = code_step(en_client, current_totp(user))
    assert response["Location"] == "/staff/login/"
    assert not is_signed_in(en_client)


def test_user_without_a_confirmed_device_cannot_sign_in(make_staff: Any, en_client: Client) -> None:
    user = make_staff("analyst")
    user.totpdevice_set.update(confirmed=False)
    response = password_step(en_client, user.email)
    assert response.status_code == 400 and b"enrolment link" in response.content
    assert code_step(en_client, "123456")["Location"] == "/staff/login/"


def test_deactivated_user_gets_the_generic_error(make_staff: Any, en_client: Client) -> None:
    user = make_staff("analyst")
    user.is_active = False
    user.save()
    response = password_step(en_client, user.email)
    assert response.status_code == 400 and b"Wrong email or password." in response.content


def test_lockout_after_failure_limit_wrong_passwords(make_staff: Any, en_client: Client, settings: Any) -> None:
    user = make_staff("analyst")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert password_step(en_client, user.email, password="wrong password 123").status_code == 400
    locked = password_step(en_client, user.email, password="wrong password 123")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    # Even the right password is refused while locked.
    assert password_step(en_client, user.email).status_code == 429
    assert not is_signed_in(en_client)


def test_wrong_totp_codes_count_toward_the_lockout(
    make_staff: Any, en_client: Client, settings: Any, clock: Any
) -> None:
    user = make_staff("analyst")
    limit = settings.AXES_FAILURE_LIMIT
    assert password_step(en_client, user.email, password="wrong password 123").status_code == 400  # 1 failure
    assert password_step(en_client, user.email).status_code == 302
    responses = []
    for _ in range(limit - 1):
        clock.shift(timedelta(seconds=60))  # past django-otp's own short throttle, so each code is checked
        responses.append(code_step(en_client, "000000" if current_totp(user) != "000000" else "111111").status_code)
    assert responses[:-1] == [400] * (limit - 2)
    assert responses[-1] == 429
    # Locked at both steps now, with the right password and the right code.
    clock.shift(timedelta(seconds=60))
    assert password_step(en_client, user.email).status_code == 429
    assert not is_signed_in(en_client)


def test_lockout_ends_after_the_cool_off(make_staff: Any, en_client: Client, settings: Any, clock: Any) -> None:
    user = make_staff("analyst")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(en_client, user.email, password="wrong password 123")
    assert password_step(en_client, user.email).status_code == 429
    clock.shift(settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    assert password_step(en_client, user.email).status_code == 302
    assert code_step(en_client, current_totp(user)).status_code == 302
    assert is_signed_in(en_client)


def test_a_successful_sign_in_resets_the_failure_count(
    make_staff: Any, en_client: Client, settings: Any, clock: Any
) -> None:
    user = make_staff("analyst")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(en_client, user.email, password="wrong password 123")
    password_step(en_client, user.email)
    code_step(en_client, current_totp(user))
    assert is_signed_in(en_client)
    en_client.post("/staff/logout/")
    assert password_step(en_client, user.email, password="wrong password 123").status_code == 400  # not locked


def test_a_totp_code_is_accepted_once(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst")
    code = current_totp(user)
    password_step(en_client, user.email)
    assert code_step(en_client, code).status_code == 302
    en_client.post("/staff/logout/")
    assert not is_signed_in(en_client)

    clock.shift(timedelta(seconds=5))  # same 30-second window: the very same code
    password_step(en_client, user.email)
    replay = code_step(en_client, code)
    assert replay.status_code == 400 and b"Wrong code." in replay.content
    assert not is_signed_in(en_client)
    clock.shift(timedelta(seconds=60))  # the next code works
    assert code_step(en_client, current_totp(user)).status_code == 302


def _recovery_codes(user: Any) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    tokens = ["abcd2345", "efgh6723"]
    for token in tokens:
        StaticToken.objects.create(device=device, token=services.recovery_code_digest(token))
    return tokens


def test_a_recovery_code_works_once(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst")
    first, _second = _recovery_codes(user)
    password_step(en_client, user.email)
    response = code_step(en_client, "ABCD-2345")  # as printed, in capitals: still accepted
    assert response.status_code == 302
    home = en_client.get(response["Location"])
    assert b"You signed in with a recovery code. 1 code is left." in home.content
    assert AuditEntry.objects.filter(action="staff.signed_in").latest("seq").details == {
        "method": "recovery_code",
        "recovery_codes_left": 1,
    }
    en_client.post("/staff/logout/")

    clock.shift(timedelta(seconds=60))
    password_step(en_client, user.email)
    assert code_step(en_client, first).status_code == 400
    assert not is_signed_in(en_client)


def test_next_redirect_is_followed_when_local(make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("supervisor")
    to_login = en_client.get("/staff/audit/?action=staff.*")
    assert to_login.status_code == 302
    login_page = en_client.get(to_login["Location"])
    assert b'value="/staff/audit/?action=staff.*"' in login_page.content
    password_step(en_client, user.email, next_url="/staff/audit/?action=staff.*")
    response = code_step(en_client, current_totp(user))
    assert response["Location"] == "/staff/audit/?action=staff.*"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_redirect_to_another_site_is_ignored(evil: str, make_staff: Any, en_client: Client, clock: Any) -> None:
    user = make_staff("analyst")
    password_step(en_client, user.email, next_url=evil)
    response = code_step(en_client, current_totp(user))
    assert response.status_code == 302 and response["Location"] == "/cases/"


def test_signed_in_visitor_of_the_login_page_goes_home(staff_client: Any) -> None:
    response = staff_client("analyst").get("/staff/login/")
    assert response.status_code == 302 and response["Location"] == "/cases/"


def test_logout_ends_the_session_and_is_audited(staff_client: Any) -> None:
    client = staff_client("analyst")
    assert client.get("/staff/").status_code == 200
    assert client.post("/staff/logout/")["Location"] == "/staff/login/"
    assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="staff.signed_out", details={"reason": "logout"}).exists()


def test_idle_timeout_signs_out_with_a_message(staff_client: Any, settings: Any) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = staff_client("analyst")
        client.cookies["hotline_language"] = "en"
        assert client.get("/staff/").status_code == 200
        clock.shift(settings.HOTLINE_IDLE_TIMEOUT - timedelta(minutes=1))
        assert client.get("/staff/").status_code == 200  # activity keeps the session alive
        clock.shift(settings.HOTLINE_IDLE_TIMEOUT + timedelta(seconds=1))
        response = client.get("/staff/")
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
        login_page = client.get(response["Location"])
        minutes = int(settings.HOTLINE_IDLE_TIMEOUT.total_seconds() // 60)
        assert f"You were signed out after {minutes} minutes without activity".encode() in login_page.content
        assert b"without activity" not in client.get("/staff/login/").content  # shown once
        assert client.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="staff.signed_out", details={"reason": "idle_timeout"}).exists()


def test_login_pages_in_swedish_by_default(client: Client) -> None:
    page = client.get("/staff/login/")
    assert page.status_code == 200
    assert "Inloggning för personal".encode() in page.content and "Fortsätt".encode() in page.content
    assert "no-store" in page["Cache-Control"]


def test_codes_stored_in_plain_by_earlier_versions_are_hashed_and_keep_working(
    make_staff: Any, en_client: Client
) -> None:
    import importlib

    from django.apps import apps

    user = make_staff("analyst")
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    StaticToken.objects.create(device=device, token="mnop2345")  # as django-otp stored it
    migration = importlib.import_module("hotline.staff.migrations.0005_hash_recovery_codes")
    migration.hash_plain_codes(apps, None)
    stored = StaticToken.objects.get(device=device).token
    assert stored == services.recovery_code_digest("mnop2345") and "mnop" not in stored
    migration.hash_plain_codes(apps, None)  # a hash is left alone
    assert StaticToken.objects.get(device=device).token == stored
    password_step(en_client, user.email)
    assert code_step(en_client, "mnop-2345").status_code == 302


def test_a_code_an_old_process_stored_in_plain_during_an_upgrade_still_works_once(
    make_staff: Any, en_client: Client
) -> None:
    user = make_staff("analyst")
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    StaticToken.objects.create(device=device, token="qrst2345")  # written by the earlier version
    hashed = StaticToken.objects.create(device=device, token=services.recovery_code_digest("uvwx2345"))
    password_step(en_client, user.email)
    assert code_step(en_client, "qrst-2345").status_code == 302
    assert list(StaticToken.objects.filter(device=device)) == [hashed]
    # A stored hash typed as a code is not a code.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    password_step(other, user.email)
    assert code_step(other, hashed.token).status_code == 400


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("analyst",), "/cases/"),
        (("supervisor", "analyst"), "/cases/supervision/"),
        (("campaigner",), "/campaigns/"),
        (("statistician",), "/insights/"),  # the director: the statistics dashboard
        (("police_liaison",), "/referrals/police/"),
        (("admin", "supervisor"), "/cases/supervision/"),
    ],
)
def test_each_role_lands_on_its_work_after_sign_in(
    roles: tuple[str, ...], landing: str, make_staff: Any, en_client: Client, clock: Any
) -> None:
    user = make_staff(*roles)
    password_step(en_client, user.email)
    response = code_step(en_client, current_totp(user))
    assert response.status_code == 302 and response["Location"] == landing
    assert en_client.get(landing).status_code == 200


def test_activity_is_written_to_the_session_at_most_once_a_minute(staff_client: Any) -> None:
    # Parallel requests of one page (the dashboard's charts) must not each save the session.
    with time_machine.travel(START, tick=False) as clock:
        client = staff_client("analyst")
        first = client.get("/staff/")
        assert first.status_code == 200
        clock.shift(timedelta(seconds=30))
        quiet = client.get("/staff/")
        assert quiet.status_code == 200 and "sessionid" not in quiet.cookies
        clock.shift(timedelta(seconds=31))
        touched = client.get("/staff/")
        assert touched.status_code == 200 and "sessionid" in touched.cookies
