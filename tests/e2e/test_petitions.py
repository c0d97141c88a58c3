"""A person in a real browser signs a petition, confirms through the mailed link, and sees the count
go up; axe-core finds no accessibility violations on the public campaign pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^\s>]+/petitions/confirm/[^\s>]+")


@pytest.fixture
def open_petition(transactional_db: Any) -> Any:
    from hotline.campaigns import services

    petition = services.create_petition(
        actor="test",
        slug="barnets-rattigheter",
        title_sv="Gör undervisning om barnets rättigheter obligatorisk",
        title_en="Make teaching on children's rights mandatory",
        text_sv="Vi uppmanar regeringen att göra undervisning om barnets rättigheter obligatorisk.",
        text_en="We call on the government to make teaching on children's rights mandatory.",
        recipient_sv="Utbildningsministern",
        recipient_en="The Minister for Education",
        goal=100,
    )
    return services.open_petition(petition=petition, actor="test")


def _count(page: Any) -> int:
    return int(page.locator(".js-live-count").first.inner_text())


def _axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"]]


def test_sign_in_a_browser_and_confirm_by_the_mailed_link(
    page: Any, live_server: Any, open_petition: Any, smtp_server: Any, run_tasks: Any, settings: Any
) -> None:
    settings.HOTLINE_PUBLIC_URL = live_server.url
    page.goto(f"{live_server.url}/petitions/barnets-rattigheter/")
    assert _count(page) == 0
    page.get_by_label("Ditt namn").fill("Anna Andersson")
    page.get_by_label("Din e-postadress").fill("anna@example.test")
    page.get_by_label("Kommun där du bor").select_option(label="Umeå")
    page.get_by_label("Jag godkänner", exact=False).check()
    page.get_by_role("button", name="Skriv under").click()
    page.wait_for_url("**/petitions/barnets-rattigheter/thanks/")
    assert "kolla din e-post" in page.locator("h1").inner_text().lower()

    assert run_tasks() >= 1
    assert len(smtp_server.messages) == 1
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    link = LINK.search(body)
    assert link, body

    page.goto(link.group(0))
    page.get_by_role("button", name="Bekräfta min underskrift").click()
    page.wait_for_url("**/petitions/barnets-rattigheter/confirmed/")
    assert _count(page) == 1
    page.goto(f"{live_server.url}/petitions/barnets-rattigheter/")
    assert _count(page) == 1


@pytest.fixture
def nojs_page(new_browser_context: Any) -> Any:
    """A fresh browser context with JavaScript disabled (Tor Browser's 'safest' level)."""
    return new_browser_context(java_script_enabled=False).new_page()


def test_sign_with_javascript_off(nojs_page: Any, live_server: Any, open_petition: Any) -> None:
    from hotline.campaigns.models import Signature

    page = nojs_page
    page.goto(f"{live_server.url}/petitions/barnets-rattigheter/")
    page.get_by_label("Ditt namn").fill("Bo Berg")
    page.get_by_label("Din e-postadress").fill("bo@example.test")
    page.get_by_label("Kommun där du bor").select_option(label="Jag bor utomlands")
    page.get_by_label("Land (bara om du bor utomlands)").select_option(label="Norge")
    page.get_by_label("Jag godkänner", exact=False).check()
    page.get_by_role("button", name="Skriv under").click()
    page.wait_for_url("**/thanks/")
    signature = Signature.objects.get()
    assert (signature.country, signature.municipality) == ("NO", "")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_public_campaign_pages_have_no_axe_violations(
    page: Any, live_server: Any, open_petition: Any, language: str
) -> None:
    page.context.add_cookies([{"name": "hotline_language", "value": language, "url": live_server.url}])
    for path in ("/petitions/", "/petitions/barnets-rattigheter/", "/newsletter/"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1
        assert _axe_violations(page) == [], path
    # The page with form errors is what a person sees after a mistake: it must be accessible too.
    page.goto(f"{live_server.url}/petitions/barnets-rattigheter/")
    page.get_by_role("button", name="Skriv under" if language == "sv" else "Sign").click()
    assert page.locator(".errorlist").count() >= 1
    assert _axe_violations(page) == []
