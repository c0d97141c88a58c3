"""A frightened reporter's journeys in a real browser (Debian's chromium via Playwright), issue 13: a report with
every cookie blocked, a refresh after sending (one report, one receipt), each kind of report with JavaScript off
at phone width (photographed, axe-clean), and the status page's thread.

Screenshots: var/test-screenshots/public-form/<kind>-<page>-<width>.png (HOTLINE_SCREENSHOT_DIR to change).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from hotline.cases.models import Report, ReporterMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("HOTLINE_SCREENSHOT_DIR", ROOT / "var" / "test-screenshots")) / "public-form"
PHONE = {"width": 390, "height": 844}
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
KINDS = ["online_material", "trafficking", "grooming", "sextortion", "travelling_offender", "other"]
SITUATIONS = {"trafficking", "grooming", "sextortion", "travelling_offender"}


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def axe_clean(page: Any) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def block_cookies(page: Any) -> list[str]:
    """Every request leaves without a Cookie header and every answer arrives without Set-Cookie, as in a browser
    set to block all cookies. Returns the list the cookies the server tried to set are noted in."""
    refused: list[str] = []

    def handle(route: Any) -> None:
        headers = {k: v for k, v in route.request.headers.items() if k.lower() != "cookie"}
        response = route.fetch(headers=headers, max_redirects=0)
        kept = {}
        for name, value in response.headers.items():
            if name.lower() == "set-cookie":
                refused.append(value.split("=", 1)[0])
            else:
                kept[name] = value
        route.fulfill(response=response, headers=kept)

    page.route("**/*", handle)
    return refused


def test_a_report_with_cookies_blocked_is_received_and_followed_up(new_browser_context: Any, live_server: Any) -> None:
    context = new_browser_context(java_script_enabled=True, locale="sv-SE")
    page = context.new_page()
    refused = block_cookies(page)
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_url_1", "https://cookieless.example.test/gallery/3")
    page.fill("#id_description", "Sett i ett forum.")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text()
    assert RECEIPT.fullmatch(receipt) and "/report/thanks/" in page.url
    assert Report.objects.count() == 1 and context.cookies() == [] and refused == []
    # The follow-up works the same way: status, then a message, still without a cookie.
    page.goto(f"{live_server.url}/report/status/")
    page.fill("#id_receipt", receipt)
    page.locator("main button[type=submit]").click()
    page.fill("#id_message", "Länken finns kvar.")
    page.locator("main form[action='/report/status/'] button[type=submit]").click()
    assert page.locator(".message.success").count() == 1 and ReporterMessage.objects.count() == 1
    assert context.cookies() == [] and refused == []


def test_refresh_after_sending_gives_one_report_and_one_receipt(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_url_1", "https://refresh.example.test/x")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text()
    assert receipt.replace(" ", "") not in page.url
    # The copy button (JavaScript on) is offered and copies the 16 digits.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("[data-copy-receipt] button").click()
    assert page.evaluate("navigator.clipboard.readText()") == receipt.replace(" ", "")
    # The receipt stays on one line at phone width.
    page.set_viewport_size(PHONE)
    one_line = "(() => { const r = document.getElementById('receipt'); return r.scrollWidth <= r.clientWidth + 1; })()"
    assert page.evaluate(one_line) and page.locator("#receipt").bounding_box()["height"] < 60  # type: ignore[index]
    response = page.reload()
    assert response.status == 410 and page.locator("#receipt").count() == 0
    assert receipt not in page.content()
    page.go_back()
    assert Report.objects.count() == 1  # one report, one receipt, whatever the browser did after


def fill_for(page: Any, kind: str) -> None:
    if kind in SITUATIONS:
        page.fill("#id_description", "Something is happening to a child I know.")
        page.fill("#id_situation_place", "A town in the south")
        page.fill("#id_situation_time", "Last weekend")
        page.fill("#id_situation_people", "A man of about 30")
    else:
        page.fill("#id_url_1", f"https://{kind.replace('_', '-')}.example.test/page")


def shows_the_questions_of(page: Any, kind: str) -> None:
    assert page.locator(f"input[name=kind][value={kind}]").is_checked()
    assert page.locator("#id_situation_place").is_visible() == (kind in SITUATIONS)
    assert page.locator("#id_url_1").is_visible() == (kind in {"online_material", "sextortion", "other"})


THANKS = {
    "sextortion": "You did the right thing by telling us",
    "trafficking": "Thank you for telling us",
    "grooming": "Thank you for telling us",
    "travelling_offender": "Thank you for telling us",
}


def phone_page(new_browser_context: Any, live_server: Any, *, javascript: bool) -> Any:
    page = new_browser_context(java_script_enabled=javascript, locale="sv-SE", viewport=PHONE).new_page()
    page.context.add_cookies([{"name": "hotline_language", "value": "en", "url": live_server.url}])
    return page


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_report_with_javascript_off_at_phone_width(
    new_browser_context: Any, live_server: Any, kind: str
) -> None:
    page = phone_page(new_browser_context, live_server, javascript=False)
    page.goto(f"{live_server.url}/report/")
    page.check(f"input[name=kind][value={kind}]")
    if kind != "online_material":
        page.locator("button[value=choose]").click()  # without JavaScript: the questions that fit this kind
    shows_the_questions_of(page, kind)
    fill_for(page, kind)
    shoot(page, f"{kind}-form-nojs")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    assert page.locator("h1").inner_text() == THANKS.get(kind, "Thank you for your report")
    assert page.locator(".safety-help").is_visible() and "112" in page.locator(".safety-help").inner_text()
    shoot(page, f"{kind}-thanks-nojs")
    report = Report.objects.get()
    assert report.kind == kind
    if kind in SITUATIONS:
        assert "Var: A town in the south" in report.description and "Vem: A man of about 30" in report.description


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_report_at_phone_width_is_axe_clean(new_browser_context: Any, live_server: Any, kind: str) -> None:
    """The same form with JavaScript on (axe runs as a script): choosing the kind shows its questions at once."""
    page = phone_page(new_browser_context, live_server, javascript=True)
    page.goto(f"{live_server.url}/report/")
    assert not page.locator("button[value=choose]").is_visible()  # JavaScript switches the sections itself
    page.check(f"input[name=kind][value={kind}]")
    shows_the_questions_of(page, kind)
    question = page.locator("label[for=id_description]").inner_text()
    assert question.startswith("What is happening?") == (kind in SITUATIONS)
    fill_for(page, kind)
    axe_clean(page)
    shoot(page, f"{kind}-form")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    assert page.locator("h1").inner_text() == THANKS.get(kind, "Thank you for your report")
    axe_clean(page)
    shoot(page, f"{kind}-thanks")
    assert Report.objects.get().kind == kind


def test_the_status_thread_shows_what_the_reporter_wrote(new_browser_context: Any, live_server: Any) -> None:
    page = phone_page(new_browser_context, live_server, javascript=True)
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_url_1", "https://thread.example.test/a")
    page.locator("button[value=send]").click()
    receipt = page.locator("#receipt").inner_text()
    page.goto(f"{live_server.url}/report/status/")
    assert page.locator("#id_receipt").get_attribute("inputmode") == "numeric"
    page.fill("#id_receipt", receipt)
    page.locator("main button[type=submit]").click()
    assert page.locator(".status-steps li").count() == 4
    assert page.locator(".status-steps li[aria-current=step]").inner_text().startswith("Received")
    for text in ("It was posted again at another address.", "It is still there."):
        page.fill("#id_message", text)
        page.locator("main form[action='/report/status/'] button[type=submit]").click()
        assert page.locator(".message.success").count() == 1
    thread = page.locator(".thread li")
    assert thread.count() == 2 and "It is still there." in thread.nth(1).inner_text()
    axe_clean(page)
    shoot(page, "status-thread")
