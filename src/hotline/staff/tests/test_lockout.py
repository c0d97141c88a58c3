"""A lockout attackers cannot turn against the team (issue 19): failures lock an account only from the network
they came from (IPv4 /24, IPv6 /64, behind HOTLINE_TRUSTED_PROXY_COUNT proxies); many networks together only
slow the account down, and never the staff member's own browser; staff see the failed attempts at their next
sign-in; admins unlock from the staff page. Includes the 1,000-attempt attack from one client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from hotline.core.models import AuditEntry
from hotline.staff import lockout, rules
from hotline.staff.factories import current_totp
from hotline.staff.models import StaffUser

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
WRONG = "wrong password 123"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def browser(address: str, **extra: str) -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) TestAgent/19", **extra)
    client.cookies["hotline_language"] = "en"
    return client


def password_step(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/staff/login/", {"email": email, "password": password})


def sign_in(client: Client, user: Any, clock: Any | None = None) -> Any:
    """Both steps with the right password and a fresh code; returns the response of the code step."""
    step = password_step(client, user.email)
    assert step.status_code == 302 and step["Location"] == "/staff/login/verify/", step.status_code
    if clock is not None:
        clock.shift(timedelta(seconds=31))  # a new TOTP time step: a code verifies once
    return client.post("/staff/login/verify/", {"otp_token": current_totp(user)})


# --- the network rule -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("192.0.2.77", "192.0.2.0"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
        ("not an address", None),
        ("", None),
    ],
)
def test_the_network_of_an_address(address: str, network: str | None) -> None:
    assert rules.client_network(address) == network


def test_the_delay_grows_and_stops_growing() -> None:
    delays = [rules.account_delay_seconds(n, free=10, maximum=300) for n in range(0, 25)]
    assert delays[:10] == [0] * 10
    assert delays[10:19] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert delays[19:] == [300] * 6
    assert rules.account_delay_seconds(10**9, free=10, maximum=300) == 300


# --- locked per account and network -------------------------------------------------------------------------
def test_failures_from_one_network_never_lock_a_colleague_elsewhere(make_staff: Any, settings: Any, clock: Any) -> None:
    user = make_staff("analyst")
    attacker = browser(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert password_step(attacker, user.email, WRONG).status_code == 400
    locked = password_step(attacker, user.email, WRONG)
    assert locked.status_code == 429 and b"from your network is locked" in locked.content
    assert password_step(attacker, user.email).status_code == 429, "the right password is refused there too"

    colleague = browser(COLLEAGUE)
    assert sign_in(colleague, user, clock).status_code == 302
    assert colleague.get("/staff/").status_code == 200
    assert password_step(attacker, user.email).status_code == 429, "signing in elsewhere does not unlock"


def test_addresses_of_one_network_share_its_lock(make_staff: Any, settings: Any) -> None:
    one, other = make_staff("analyst"), make_staff("analyst")  # each locked from one network only
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(browser("203.0.113.7"), one.email, WRONG)
        password_step(browser("2001:db8:1:2::7"), other.email, WRONG)
    assert password_step(browser("203.0.113.250"), one.email).status_code == 429  # same /24
    assert password_step(browser("2001:db8:1:2:ffff::1"), other.email).status_code == 429  # same /64
    assert password_step(browser("198.51.100.7"), one.email).status_code == 302  # another /24
    assert password_step(browser("2001:db8:1:3::7"), other.email).status_code == 302  # the next /64


def test_behind_a_trusted_proxy_the_forwarded_address_counts(make_staff: Any, settings: Any) -> None:
    """The one client-address rule of hotline.core.clients: the proxy's own address never locks everyone."""
    settings.HOTLINE_TRUSTED_PROXY_COUNT = 1
    user = make_staff("analyst")
    proxy = "192.0.2.1"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(browser(proxy, HTTP_X_FORWARDED_FOR=ATTACKER), user.email, WRONG)
    assert password_step(browser(proxy, HTTP_X_FORWARDED_FOR=ATTACKER), user.email).status_code == 429
    assert password_step(browser(proxy, HTTP_X_FORWARDED_FOR=COLLEAGUE), user.email).status_code == 302


def test_the_lock_page_says_how_long_and_ends_on_time(make_staff: Any, settings: Any, clock: Any) -> None:
    user = make_staff("analyst")
    attacker = browser(ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, user.email, WRONG)
    clock.shift(timedelta(minutes=10))
    locked = password_step(attacker, user.email, WRONG)  # refused, not counted: the lock does not grow
    cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert locked.status_code == 429 and int(locked["Retry-After"]) == cooloff - 600 + 1  # locked up to the second
    assert b"locked for 20 more minutes" in locked.content
    clock.shift(timedelta(seconds=cooloff - 600))
    assert password_step(attacker, user.email).status_code == 429, "not a second early"
    clock.shift(timedelta(seconds=1))
    assert password_step(attacker, user.email).status_code == 302


def test_showing_the_code_page_while_locked_counts_nothing(make_staff: Any, settings: Any) -> None:
    """A GET changes nothing: only a code sent while locked is counted as refused."""
    user = make_staff("analyst")
    pending = browser(ATTACKER)
    assert password_step(pending, user.email)["Location"] == "/staff/login/verify/"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(browser(ATTACKER), user.email, WRONG)
    counters = StaffUser.objects.filter(pk=user.pk).values_list("failed_sign_ins", "refused_sign_ins")
    assert counters.get() == (settings.AXES_FAILURE_LIMIT, 0)
    assert pending.get("/staff/login/verify/").status_code == 429
    assert counters.get() == (settings.AXES_FAILURE_LIMIT, 0)
    assert password_step(pending, user.email).status_code == 429
    assert counters.get() == (settings.AXES_FAILURE_LIMIT + 1, 1)  # a refused attempt counts among the failed


# --- many networks: a delay, never a lock --------------------------------------------------------------------
def _fail_from_networks(email: str, count: int) -> None:
    """One wrong password from each of `count` networks (IPv6 /64s of the documentation range)."""
    for i in range(count):
        assert password_step(browser(f"2001:db8:{i + 1:x}::1"), email, WRONG).status_code == 400


def test_many_networks_make_the_account_wait_and_the_wait_runs_out(make_staff: Any, clock: Any) -> None:
    user = make_staff("analyst")
    _fail_from_networks(user.email, 10)  # HOTLINE_LOGIN_DELAY_AFTER: from now on each attempt waits
    newcomer = browser("192.0.2.50")
    waiting = password_step(newcomer, user.email)  # the right password, but not checked
    assert waiting.status_code == 429 and waiting["Retry-After"] == "1"
    assert b"Wait 1 second, then try again" in waiting.content
    clock.shift(timedelta(seconds=1))
    assert password_step(newcomer, user.email).status_code == 302  # checked now
    # The wait doubles with each further failure, up to HOTLINE_LOGIN_DELAY_MAX_SECONDS; waiting attempts never
    # count, so the wait cannot be made longer by asking more often.
    for expected in (2, 4, 8):
        clock.shift(timedelta(seconds=60))
        assert password_step(browser("192.0.2.51"), user.email, WRONG).status_code == 400
        for _ in range(3):
            assert password_step(browser("192.0.2.52"), user.email, WRONG)["Retry-After"] == str(expected)
    assert lockout.account_failures(user.email).failures == 13


def test_the_staff_members_own_browser_skips_the_wait(make_staff: Any, clock: Any) -> None:
    user = make_staff("analyst")
    own = browser("192.0.2.60")
    assert sign_in(own, user, clock).status_code == 302  # an earlier sign-in: the browser is known
    own.post("/staff/logout/")
    _fail_from_networks(user.email, 10)
    assert password_step(browser("192.0.2.61"), user.email).status_code == 429
    assert sign_in(own, user, clock).status_code == 302
    own.post("/staff/logout/")
    # The token belongs to its account: it lets no other account skip the wait.
    other = make_staff("analyst")
    _fail_from_networks(other.email, 10)
    assert password_step(own, other.email).status_code == 429


# --- what staff see, and the admins' unlock --------------------------------------------------------------------
def test_the_next_sign_in_shows_the_failed_attempts_once(make_staff: Any, clock: Any) -> None:
    user = make_staff("analyst")
    for _ in range(2):
        password_step(browser(ATTACKER), user.email, WRONG)
    client = browser(COLLEAGUE)
    assert sign_in(client, user, clock).status_code == 302
    home = client.get("/staff/")
    assert b"Since your last sign-in there were 2 failed attempts to sign in to your account" in home.content
    assert b"refused" not in home.content
    entry = AuditEntry.objects.filter(action="staff.signed_in").latest("seq")
    assert entry.details == {"method": "totp", "failed_attempts_before": 2}
    client.post("/staff/logout/")
    assert sign_in(client, user, clock).status_code == 302
    assert b"failed attempt" not in client.get("/staff/").content


def test_an_admin_unlocks_with_a_confirmation_and_it_is_audited(
    make_staff: Any, staff_client: Any, settings: Any
) -> None:
    user = make_staff("analyst")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(browser(ATTACKER), user.email, WRONG)
    admin = staff_client("admin")
    admin.cookies["hotline_language"] = "en"
    page = admin.get(f"/staff/users/{user.pk}/")
    assert b"5 failed sign-ins in the last 30 minutes, from 1 network(s); locked from 1." in page.content
    assert b'action="/staff/users/%d/unlock/"' % user.pk in page.content
    assert admin.get(f"/staff/users/{user.pk}/unlock/").status_code == 405  # a GET changes nothing

    unconfirmed = admin.post(f"/staff/users/{user.pk}/unlock/")
    assert unconfirmed.status_code == 400 and b"Tick the box" in unconfirmed.content
    assert password_step(browser(ATTACKER), user.email).status_code == 429

    assert staff_client("supervisor").post(f"/staff/users/{user.pk}/unlock/", {"confirm": "1"}).status_code == 403
    done = admin.post(f"/staff/users/{user.pk}/unlock/", {"confirm": "1"}, follow=True)
    assert b"Sign-in is unlocked: 5 failed attempts were cleared." in done.content
    entry = AuditEntry.objects.get(action="staff.sign_in_unlocked")
    assert entry.object_id == str(user.pk) and entry.actor_id == admin.user.pk
    assert entry.details == {"failures": 5, "networks": 1, "locked_networks": 1}
    assert password_step(browser(ATTACKER), user.email).status_code == 302


# --- the attack of issue 19 ---------------------------------------------------------------------------------------
def test_an_attack_of_1000_attempts_from_one_client(make_staff: Any, settings: Any, clock: Any) -> None:
    """1,000 wrong passwords from one client against one account, as fast as the server answers, then the
    same attacker patiently waiting out every lock: the colleague on another network signs in throughout."""
    user = make_staff("analyst")
    attacker = browser(ATTACKER)
    limit, cooloff = settings.AXES_FAILURE_LIMIT, int(settings.AXES_COOLOFF_TIME.total_seconds())
    responses = [password_step(attacker, user.email, WRONG) for _ in range(500)]
    statuses = [response.status_code for response in responses]
    first_wait = int(responses[limit]["Retry-After"])  # the first attempt refused, right after the lock
    assert first_wait == cooloff + 1  # locked up to and including the last second of the cool-off
    colleague = browser(COLLEAGUE)
    assert sign_in(colleague, user, clock).status_code == 302, "signed in during the attack"
    home = colleague.get("/staff/")
    assert b"there were 500 failed attempts" in home.content and b"495 of them were refused" in home.content
    colleague.post("/staff/logout/")
    statuses += [password_step(attacker, user.email, WRONG).status_code for _ in range(500)]
    checked = statuses.count(400) + 1  # the 5th wrong password is checked, and answered with the lock
    assert statuses[: limit - 1] == [400] * (limit - 1) and statuses[limit - 1 :] == [429] * (1000 - limit + 1)
    assert checked == limit
    elapsed = int((timezone.now() - START).total_seconds())  # the colleague's sign-in took a TOTP step
    assert int(password_step(attacker, user.email, WRONG)["Retry-After"]) == cooloff + 1 - elapsed
    assert lockout.account_wait_seconds(user.email) == 0, "one network never slows the account for others"
    assert sign_in(colleague, user, clock).status_code == 302, "and after it"

    # The patient attacker: wait exactly as long as Retry-After says, until 1,000 passwords have been checked.
    waited, locks, guesses = 0, 0, checked
    refusals = StaffUser.objects.values_list("refused_sign_ins", flat=True)
    refused = refusals.get(pk=user.pk)
    while guesses < 1000:
        response = password_step(attacker, user.email, WRONG)
        if refused < (refused := refusals.get(pk=user.pk)):  # refused without a check: locked
            assert response.status_code == 429
            waited += int(response["Retry-After"])
            locks += 1
            clock.shift(timedelta(seconds=int(response["Retry-After"])))
        else:
            guesses += 1
    hours = waited / 3600
    print(f"\n1,000 attempts at once: {checked} checked, {1000 - checked} refused; Retry-After {first_wait} s")
    print(f"1,000 checked passwords: the client waits {hours:.1f} h in {locks} locks of {cooloff} s")
    assert locks == 1000 // limit - 1
    assert hours >= locks * cooloff / 3600
    assert sign_in(colleague, user, clock).status_code == 302


def test_guessing_from_many_networks_is_slowed_for_the_account_as_a_whole(make_staff: Any, clock: Any) -> None:
    """An attacker with a new network for every attempt (no network is ever locked) who waits exactly as long
    as Retry-After says: the account's delay keeps the checked guesses to a few dozen an hour."""
    user = make_staff("analyst")
    checked, network, elapsed = 0, 0, 0
    while elapsed < 2 * 3600:
        network += 1
        response = password_step(browser(f"2001:db8:{network:x}::9"), user.email, WRONG)
        if response.status_code == 429:
            wait = int(response["Retry-After"])
            clock.shift(timedelta(seconds=wait))
            elapsed += wait
        else:
            assert response.status_code == 400
            checked += 1
    print(f"\nfrom a new network each time: {checked} passwords checked in 2 h")
    assert 20 <= checked <= 100
    while (response := password_step(browser("2001:db8:ffff::9"), user.email, WRONG)).status_code == 429:
        clock.shift(timedelta(seconds=int(response["Retry-After"])))
    # Right after a checked guess, a browser that never signed in to the account waits too, at most 5 minutes.
    waiting = password_step(browser(COLLEAGUE), user.email)
    assert waiting.status_code == 429 and 0 < int(waiting["Retry-After"]) <= 300
