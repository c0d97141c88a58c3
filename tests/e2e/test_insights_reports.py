"""The statistics reports in a real browser (Debian's chromium), in Swedish, signed in as a statistician: the page
to choose a report, the quarterly statistics and the transparency report chosen through their GET forms, and the
definitions. Every page answers 200, has one h1, passes axe with 0 violations, shows words rather than raw codes
and is saved as a screenshot (var/test-screenshots/staff/reports-*.png, HOTLINE_SCREENSHOT_DIR to change)."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.cases.models import Case
from hotline.insights.tests.test_reports_figures import history  # noqa: F401  # the known history, as a fixture
from tests.e2e.test_casework import cookie_sign_in
from tests.e2e.test_staff_casework_pages import axe_clean, shoot
from tests.test_staff_pages_speak_swedish import choice_codes, problems_in, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 10_000


def check_page(page: Any, name: str) -> str:
    assert page.locator("h1").count() == 1, page.url
    assert page.locator("html").get_attribute("lang") == "sv"
    html = page.content()
    assert problems_in(visible_text(html), choice_codes()) == [], page.url
    axe_clean(page)
    shoot(page, f"reports-{name}")
    return html


def test_a_statistician_chooses_and_reads_both_reports(
    history: dict[str, Case],  # noqa: F811
    live_server: Any,
    new_browser_context: Any,
    make_staff: Any,
) -> None:
    page = new_browser_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.context.add_cookies([{"name": "hotline_language", "value": "sv", "url": live_server.url, "httpOnly": True}])
    cookie_sign_in(page, live_server.url, make_staff("statistician"))

    assert page.goto(f"{live_server.url}/insights/reports/").status == 200
    check_page(page, "index")
    page.select_option("#quarterly-year", "2026")
    page.select_option("#quarterly-quarter", "1")
    page.get_by_role("button", name="Visa kvartalsstatistiken").click()
    page.wait_for_url("**/insights/reports/quarterly/?year=2026&quarter=1")
    html = check_page(page, "quarterly")
    assert "Kvartalsstatistik, kvartal 1 2026" in html and "Övergreppsmaterial per typ av webbplats" in html

    page.goto(f"{live_server.url}/insights/reports/")
    page.select_option("#transparency-year", "2026")
    page.get_by_role("button", name="Visa öppenhetsrapporten").click()
    page.wait_for_url("**/insights/reports/transparency/?year=2026")
    html = check_page(page, "transparency")
    assert "Underrättelser per värdleverantör" in html and "Example Hosting Ltd" in html

    page.get_by_role("link", name="Vad varje mått räknar och vilket datum det använder").click()
    check_page(page, "definitions")
