"""Public reporting in a real browser (Debian's chromium via Playwright): the form with JavaScript off,
the phone's share target, the bookmarklet's fragment, and axe-core on every public intake page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from hotline.cases.models import Channel, Report, ReportedUrl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


@pytest.fixture
def nojs_page(new_browser_context: Any) -> Any:
    """A fresh browser context with JavaScript disabled (like Tor Browser's 'safest' level)."""
    return new_browser_context(java_script_enabled=False, locale="sv-SE").new_page()


def test_report_with_javascript_off_keyboard_only(nojs_page: Any, live_server: Any) -> None:
    page = nojs_page
    page.goto(f"{live_server.url}/report/")
    assert page.locator("html").get_attribute("lang") == "sv" and page.locator("h1").inner_text() == "Lämna ett tips"
    # A private address first: the message is tied to the field.
    page.focus("#id_url_1")
    page.keyboard.type("http://192.168.1.1/router")
    page.focus("#id_url_2")
    page.keyboard.type("https://host.example/gallery/1")
    page.focus("button[value=send]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    field = page.locator("#id_url_1")
    assert field.get_attribute("aria-invalid") == "true"
    assert "id_url_1_error" in (field.get_attribute("aria-describedby") or "")
    assert "privat" in page.locator("#id_url_1_error").inner_text()
    assert page.locator("#id_url_2").input_value() == "https://host.example/gallery/1"
    # One more URL field without JavaScript.
    page.locator("button[value=add_url]").click()
    assert page.locator("input[name^=url_]:not([type=hidden])").count() == 4
    assert page.evaluate("document.activeElement && document.activeElement.id") in (None, "id_url_4")
    page.fill("#id_url_1", "files.example.test/d/42")
    page.fill("#id_url_4", "https://cdn.example/x.jpg")
    page.focus("#id_description")
    page.keyboard.type("Sett i en chattgrupp.")
    page.focus("#id_nexus_victim_0")
    page.keyboard.press("Space")
    page.focus("button[value=send]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    assert receipt.replace(" ", "") not in page.url and "/report/thanks/" in page.url  # POST -> 303 -> GET
    report = Report.objects.get()
    assert report.channel == Channel.WEB and report.nexus_victim == "yes"
    assert [u.url for u in ReportedUrl.objects.filter(report=report)] == [
        "http://files.example.test/d/42",
        "https://host.example/gallery/1",
        "https://cdn.example/x.jpg",
    ]
    # Later: the status page with the receipt, still without JavaScript.
    page.goto(f"{live_server.url}/report/status/")
    page.fill("#id_receipt", receipt)
    page.locator("main button[type=submit]").click()
    assert page.locator("#public-status").get_attribute("data-status") == "received"
    page.fill("#id_message", "Länken har lagts upp igen.")
    page.locator("main form[action='/report/status/'] button[type=submit]").click()
    assert page.locator(".message.success").count() == 1


def test_share_target_opens_the_form_with_the_url(page: Any, live_server: Any) -> None:
    shared = "https://shared.example/post/77?utm=x"
    # What the phone does for "Share -> Hotline": a POST navigation to the manifest's share_target.
    manifest = page.request.get(f"{live_server.url}/manifest.webmanifest").json()
    target = manifest["share_target"]
    page.set_content(
        f'<form method="post" action="{live_server.url}{target["action"]}" enctype="{target["enctype"]}">'
        f'<input name="title" value="A post"><input name="text" value="Look">'
        f'<input name="url" value="{shared}"><button>share</button></form>'
    )
    page.locator("button").click()
    page.wait_for_url(f"{live_server.url}/share/")
    assert page.locator("#id_url_1").input_value() == shared
    assert page.locator("input[name=channel]").input_value() == "share"
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    assert Report.objects.get().channel == Channel.SHARE
    assert ReportedUrl.objects.get().url == shared


def test_bookmarklet_fragment_fills_the_form(page: Any, live_server: Any) -> None:
    reported = "https://bookmarked.example/thread/5?page=2"
    page.goto(f"{live_server.url}/report/#url={quote(reported, safe='')}")
    page.wait_for_function("document.getElementById('id_url_1').value !== ''")
    assert page.locator("#id_url_1").input_value() == reported
    assert "#" not in page.url  # the fragment is removed from the address bar and history
    page.fill("#id_description", "Från ett bokmärke.")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    assert Report.objects.get().channel == Channel.BOOKMARK


@pytest.mark.parametrize("path", ["/", "/report/", "/report/status/", "/report/bookmark/", "/api/docs", "/privacy/"])
@pytest.mark.parametrize("language", ["sv", "en"])
def test_public_pages_have_no_axe_violations(page: Any, live_server: Any, path: str, language: str) -> None:
    page.context.add_cookies([{"name": "hotline_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{path}")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_form_with_errors_and_thank_you_have_no_axe_violations(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_url_1", "not a url")
    page.locator("button[value=send]").click()
    page.wait_for_selector(".error-summary")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.fill("#id_url_1", "https://host.example/ok")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
