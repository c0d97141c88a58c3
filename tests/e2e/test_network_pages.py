"""The network's staff pages in a real browser (Debian's chromium), in Swedish, signed in as an admin: the partner
list, adding a partner from its base URL (the identity fetched from this test's own live server, over loopback)
with the fingerprint confirmation page, the partner's page, ending a key's overlap (asked once more), the outbox
and the inbox. Every page answers 200, has one h1, passes axe with 0 violations, shows words rather than raw codes
and is saved as a screenshot (var/test-screenshots/staff/network-*.png, HOTLINE_SCREENSHOT_DIR to change)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_casework import cookie_sign_in
from tests.e2e.test_staff_casework_pages import axe_clean, shoot
from tests.test_staff_pages_speak_swedish import choice_codes, problems_in, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 10_000


@pytest.fixture(autouse=True)
def _network_settings(settings: Any, tmp_path: Any) -> None:
    settings.HOTLINE_NETWORK_KEY_FILE = str(tmp_path / "network-key.pem")
    settings.HOTLINE_HOME_COUNTRY = "SE"


def swedish(page: Any, base_url: str) -> None:
    page.context.add_cookies([{"name": "hotline_language", "value": "sv", "url": base_url, "httpOnly": True}])


def raw_codes() -> set[str]:
    from hotline.network.protocol import STATUSES

    return choice_codes() | {s for s in STATUSES if "_" in s}


def check_page(page: Any, name: str, status: int | None = 200) -> str:
    """The page has one h1, passes axe, shows no raw code in its visible text; saved as a screenshot."""
    if status is not None:
        assert status == 200, page.url
    assert page.locator("h1").count() == 1, page.url
    assert page.locator("html").get_attribute("lang") == "sv"
    html = page.content()
    assert problems_in(visible_text(html), raw_codes()) == [], page.url
    axe_clean(page)
    shoot(page, f"network-{name}")  # beside the other staff pages' screenshots
    return html


def admin_page(live_server: Any, new_browser_context: Any, make_staff: Any) -> Any:
    page = new_browser_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    swedish(page, live_server.url)
    cookie_sign_in(page, live_server.url, make_staff("admin"))
    return page


def test_admin_adds_a_partner_by_base_url_after_seeing_its_fingerprint(
    live_server: Any, new_browser_context: Any, make_staff: Any
) -> None:
    from hotline.network import own_key
    from hotline.network.factories import own_identity
    from hotline.network.models import PinnedKey
    from hotline.network.protocol import fingerprint
    from hotline.referrals.models import PartnerHotline

    # The live server publishes an identity (NL-EXAMPLE) that this same instance then registers as its partner.
    own_identity(code="NL-EXAMPLE", countries="NL", base_url=live_server.url)
    expected = fingerprint(own_key.private_key().public_key())
    page = admin_page(live_server, new_browser_context, make_staff)

    answer = page.goto(f"{live_server.url}/network/partners/")
    check_page(page, "partners-empty", answer.status)

    page.fill("input[name=base_url]", live_server.url + "/")
    page.click("form[action='/network/partners/fetch/'] button[type=submit]")
    page.wait_for_selector("form[action='/network/partners/register/']")
    check_page(page, "partner-confirm", None)
    assert expected in page.locator("body").inner_text()
    assert page.locator("code", has_text=expected).count() >= 1
    assert not PartnerHotline.objects.exists(), "showing the fingerprint writes nothing"

    page.check("input[name=key_ids]")
    page.click("form[action='/network/partners/register/'] button[type=submit]")
    page.wait_for_url("**/network/partners/*/")
    partner = PartnerHotline.objects.get(code="NL-EXAMPLE")
    assert PinnedKey.objects.get(partner=partner).fingerprint == expected
    check_page(page, "partner-detail-new", None)
    assert expected in page.locator("code").all_inner_texts()

    answer = page.goto(f"{live_server.url}/network/partners/")
    check_page(page, "partners", answer.status)
    assert page.locator(f"a[href='/network/partners/{partner.pk}/']").count() == 1
    page.goto("about:blank")


def test_retiring_a_key_asks_once_more_and_the_message_pages_pass(
    live_server: Any, new_browser_context: Any, make_staff: Any
) -> None:
    from django.utils import timezone

    from hotline.network.factories import network_partner, own_identity, pin
    from hotline.network.models import InboxMessage, MessageKind, OutboxMessage, OutboxState, PinnedKey
    from hotline.network.protocol import generate_private_key

    own_identity(code="SE-ECPAT", countries="SE", base_url=live_server.url)
    partner, _key = network_partner(code="NL-EXAMPLE", countries="NL", base_url="http://192.0.2.10")
    new = pin(partner=partner, key=generate_private_key())
    old = PinnedKey.objects.exclude(pk=new.pk).get()
    OutboxMessage.objects.create(
        kind=MessageKind.REPORT_STATUS,
        partner=partner,
        status="in_assessment",
        body="{}",
        state=OutboxState.RETRYING,
        attempts=2,
        next_attempt_at=timezone.now(),
        last_error="HTTP 503",
    )
    OutboxMessage.objects.create(
        kind=MessageKind.REPORT_FORWARD,
        partner=partner,
        body="{}",
        state=OutboxState.DELIVERED,
        attempts=1,
        delivered_at=timezone.now(),
    )
    InboxMessage.objects.create(
        sender="NL-EXAMPLE",
        message_id="6f1c2a3b-0000-4000-8000-000000000001",
        kind=MessageKind.REPORT_STATUS,
        partner=partner,
        body_sha256="0" * 64,
        created=timezone.now(),
        case_reference="NL-2026-0001",
        status="content_removed",
        status_at=timezone.now(),
    )
    page = admin_page(live_server, new_browser_context, make_staff)

    answer = page.goto(f"{live_server.url}/network/partners/{partner.pk}/")
    check_page(page, "partner-detail", answer.status)
    codes = page.locator("code").all_inner_texts()
    assert old.fingerprint in codes and new.fingerprint in codes

    # The trust action asks once more: the link only shows the question, the key still verifies.
    page.click(f"a[href='/network/partners/{partner.pk}/keys/{old.pk}/retire/']")
    page.wait_for_url(f"**/network/partners/{partner.pk}/keys/{old.pk}/retire/")
    check_page(page, "key-retire", None)
    assert old.fingerprint in page.locator("body").inner_text()
    PinnedKey.objects.get(pk=old.pk, retired_at=None)
    page.click(f"form:has(a[href='/network/partners/{partner.pk}/']) button[type=submit]")
    page.wait_for_url(f"**/network/partners/{partner.pk}/")
    assert PinnedKey.objects.get(pk=old.pk).retired_at is not None
    assert PinnedKey.objects.get(pk=new.pk).retired_at is None
    check_page(page, "partner-detail-retired", None)

    for path, name in (("/network/outbox/", "outbox"), ("/network/inbox/", "inbox")):
        answer = page.goto(f"{live_server.url}{path}")
        check_page(page, name, answer.status)
        assert page.locator("tbody tr").count() >= 1, path
    page.goto("about:blank")
