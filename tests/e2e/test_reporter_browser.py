"""The reporter's pages in a real browser (Debian's chromium via Playwright): every public language photographed
and checked by axe (Arabic also at phone width), mirrored right-to-left layouts, "Leave this page" with and
without JavaScript, nothing left in the browser after a report, and the whole report flow in a profile like
Tor Browser's "Safest" level (JavaScript off, no web fonts) that never reaches another host.

Screenshots: var/test-screenshots/languages/<language>-<page>-<width>.png (HOTLINE_SCREENSHOT_DIR to change).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from hotline.cases.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("HOTLINE_SCREENSHOT_DIR", ROOT / "var" / "test-screenshots")) / "languages"
# Ethiopic script needs a font Debian's chromium does not bring: without it the screenshots show empty boxes.
FONT_PACKAGE = {"ti": "fonts-sil-abyssinica"}


def with_fonts(*codes: str) -> list[Any]:
    """The languages as parameters, each needing its script's font package (conftest.SYSTEM_PACKAGES)."""
    return [
        pytest.param(code, marks=pytest.mark.system_package(FONT_PACKAGE[code])) if code in FONT_PACKAGE else code
        for code in codes
    ]


LANGUAGES = with_fonts("sv", "en", "ar", "prs", "so", "ti", "uk")
RTL = {"ar", "prs"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# --- fixtures of this module: the session's browser (conftest), a neutral site to leave to ---------------
_OPEN_CONTEXTS: list[Any] = []


@pytest.fixture(autouse=True)
def _close_contexts() -> Iterator[None]:
    """Each test's contexts are closed after it, with everything in them (the browser is the session's)."""
    yield
    while _OPEN_CONTEXTS:
        _OPEN_CONTEXTS.pop().close()
    from django.db import connections

    connections.close_all()


class NeutralSite(ThreadingHTTPServer):
    """Stands in for the weather site of HOTLINE_QUICK_EXIT_URL and records what each visit sent it."""

    visits: list[dict[str, str]]


class _Neutral(BaseHTTPRequestHandler):
    server: NeutralSite

    def do_GET(self) -> None:
        self.server.visits.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = b"<!doctype html><html lang='en'><title>Weather</title><p>Sunny, 18 degrees.</p></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@pytest.fixture(scope="module")
def neutral_site() -> Iterator[NeutralSite]:
    server = NeutralSite(("127.0.0.1", 0), _Neutral)
    server.visits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def page_visit(site: NeutralSite) -> dict[str, str]:
    """The last visit of the neutral page itself (browsers also ask it for a favicon)."""
    visits = [visit for visit in site.visits if visit["path"] == "/weather/today"]
    assert visits, site.visits
    return visits[-1]


@pytest.fixture
def exit_url(settings: Any, neutral_site: NeutralSite) -> str:
    neutral_site.visits.clear()
    url = f"http://127.0.0.1:{neutral_site.server_address[1]}/weather/today"
    settings.HOTLINE_QUICK_EXIT_URL = url
    return url


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def new_page(browser: Any, live_server: Any, *, language: str = "sv", javascript: bool = True, **options: Any) -> Any:
    context = browser.new_context(java_script_enabled=javascript, viewport=options.pop("viewport", DESKTOP), **options)
    _OPEN_CONTEXTS.append(context)
    # As the language switch sets it: httpOnly, so no script of the page could read it either.
    cookie = {"name": "hotline_language", "value": language, "url": live_server.url, "httpOnly": True}
    context.add_cookies([cookie])
    return context.new_page()


def axe_clean(page: Any) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def shoot(page: Any, language: str, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{language}-{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def send_report(page: Any, live_server: Any, *, url: str, text: str) -> str:
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_url_1", url)
    page.fill("#id_description", text)
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt), receipt
    return str(receipt)


def assert_direction(page: Any, language: str) -> None:
    rtl = language in RTL
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == ("rtl" if rtl else "ltr")
    # Mirrored: the brand starts the header on the right in Arabic and Dari, on the left otherwise.
    brand = page.locator(".brand").bounding_box()
    width = page.viewport_size["width"]
    assert (brand["x"] > width / 2) == rtl, brand
    # Nothing sticks out sideways (a physical left/right would, once mirrored).
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# --- every language: form, thank-you, status; screenshots and axe ---------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_form_thanks_and_status_pass_axe(browser: Any, live_server: Any, language: str) -> None:
    sizes = [DESKTOP, PHONE] if language in {"ar", "prs"} else [DESKTOP]
    for viewport in sizes:
        page = new_page(browser, live_server, language=language, viewport=viewport)
        page.goto(f"{live_server.url}/report/")
        assert_direction(page, language)
        shoot(page, language, "report-form")
        axe_clean(page)
        # The form's own messages, in the language and tied to their fields.
        page.fill("#id_url_1", "http://192.168.1.1/router")
        page.locator("button[value=send]").click()
        page.wait_for_selector(".error-summary")
        assert page.locator("#id_url_1").get_attribute("aria-invalid") == "true"
        shoot(page, language, "report-errors")
        axe_clean(page)
        receipt = send_report(page, live_server, url="https://files.example.test/a/1", text="Seen in a chat group.")
        # The receipt keeps its order in every direction: it is a left-to-right island.
        assert page.evaluate("getComputedStyle(document.getElementById('receipt')).direction") == "ltr"
        assert page.evaluate("getComputedStyle(document.getElementById('receipt')).unicodeBidi") == "isolate"
        shoot(page, language, "thanks")
        axe_clean(page)
        page.goto(f"{live_server.url}/report/status/")
        page.fill("#id_receipt", receipt)
        page.locator("main button[type=submit]").click()
        page.wait_for_selector("#public-status")
        assert page.locator("#public-status").get_attribute("data-status") == "received"
        assert page.locator(".receipt-small bdi").inner_text() == receipt
        assert_direction(page, language)
        shoot(page, language, "status")
        axe_clean(page)
        page.context.close()
    assert Report.objects.filter(language=language).count() == len(sizes)


@pytest.mark.parametrize("path", ["/", "/report/bookmark/", "/privacy/", "/no-such-page/"])
@pytest.mark.parametrize("language", with_fonts("ar", "ti", "uk"))
def test_the_other_public_pages_pass_axe_in_other_scripts(
    browser: Any, live_server: Any, path: str, language: str
) -> None:
    page = new_page(browser, live_server, language=language)
    page.goto(f"{live_server.url}{path}")
    assert_direction(page, language)
    axe_clean(page)
    page.context.close()


# --- "Leave this page" ----------------------------------------------------------------------------------
def history(page: Any) -> list[str]:
    """Every entry of the tab's history (Chromium's own list, through the DevTools protocol)."""
    session = page.context.new_cdp_session(page)
    entries = session.send("Page.getNavigationHistory")["entries"]
    session.detach()
    return [entry["url"] for entry in entries]


def test_three_presses_of_shift_leave_and_replace_the_page_in_history(
    browser: Any, live_server: Any, exit_url: str, neutral_site: NeutralSite
) -> None:
    page = new_page(browser, live_server)
    page.goto(f"{live_server.url}/")
    send_report(page, live_server, url="https://leave.example.test/x", text="Seen in a game.")
    assert page.locator("[data-quick-exit-hint]").is_visible()  # the script shows the Shift hint
    # Capitals typed in a field never count: Shift held with another key resets the count.
    page.goto(f"{live_server.url}/report/")
    page.focus("#id_description")
    for _ in range(3):
        page.keyboard.press("Shift+A")
    assert page.url == f"{live_server.url}/report/" and page.locator("#id_description").input_value() == "AAA"
    page.goto(f"{live_server.url}/privacy/")
    before = history(page)
    page.keyboard.press("Shift")
    assert page.locator("[data-quick-exit-status]").inner_text().startswith("Skift")  # announced: 2 more
    page.keyboard.press("Shift")
    with page.expect_navigation(url=exit_url):
        page.keyboard.press("Shift")
    after = history(page)
    assert len(after) == len(before)  # replaced, not added
    assert after[-1] == exit_url and f"{live_server.url}/privacy/" not in after[-1:]
    assert after[:-1] == before[:-1]
    assert "referer" not in page_visit(neutral_site)  # our address never sent
    page.context.close()


def test_clicking_leave_with_javascript_replaces_the_entry_and_without_it_is_a_plain_link(
    browser: Any, live_server: Any, exit_url: str, neutral_site: NeutralSite
) -> None:
    for javascript in (True, False):
        page = new_page(browser, live_server, javascript=javascript)
        page.goto(f"{live_server.url}/")
        page.goto(f"{live_server.url}/report/status/")
        before = history(page)
        with page.expect_navigation(url=exit_url):
            page.get_by_role("link", name="Lämna sidan").click()
        after = history(page)
        if javascript:
            assert len(after) == len(before) and f"{live_server.url}/report/status/" not in after
        else:
            assert len(after) == len(before) + 1  # an ordinary link: the browser's Back still leads back
        assert "referer" not in page_visit(neutral_site)
        page.context.close()


def test_nothing_of_the_report_stays_in_the_browser(browser: Any, live_server: Any) -> None:
    """Storage, caches, databases and history after a report: a shared device shows nothing of it."""
    page = new_page(browser, live_server)
    reported = "https://stays.example.test/gallery/9"
    page.goto(f"{live_server.url}/report/#url={reported}")  # the bookmarklet's way in, with a fragment
    page.wait_for_function("document.getElementById('id_url_1').value !== ''")
    page.fill("#id_where_seen", "A forum")
    page.fill("#id_description", "Pictures of a child in a forum thread.")
    page.fill("#id_contact", "not-a-real-address@example.test")
    page.locator("button[value=send]").click()
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text()
    stored = page.evaluate(
        """async () => ({
            local: localStorage.length,
            session: sessionStorage.length,
            databases: (await indexedDB.databases()).length,
            caches: (await caches.keys()).length,
            cookies: document.cookie,
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )
    assert stored == {"local": 0, "session": 0, "databases": 0, "caches": 0, "cookies": "", "workers": 0}
    entries = history(page)
    assert all(urlsplit(url).query == "" and urlsplit(url).fragment == "" for url in entries), entries
    assert not any("stays.example" in url or receipt.replace(" ", "") in url for url in entries), entries
    # Back to the form: the browser does not fill it in again (autocomplete="off" also stops restoring).
    page.go_back()
    page.wait_for_selector("#id_description")
    for field in ("#id_url_1", "#id_where_seen", "#id_description", "#id_contact"):
        assert page.locator(field).input_value() == "", field
    # Nor does the browser keep the pages themselves: every page is Cache-Control: no-store.
    response = page.request.get(f"{live_server.url}/report/")
    assert "no-store" in response.headers["cache-control"]
    page.context.close()


# --- Tor Browser's "Safest" level ----------------------------------------------------------------------
def test_the_whole_report_flow_in_a_safest_profile_never_leaves_this_site(
    browser: Any, live_server: Any, exit_url: str, neutral_site: NeutralSite
) -> None:
    """JavaScript off and no web fonts, as Tor Browser's "Safest" level: every step works with plain forms and
    links, and every request goes to this site (but the one the visitor makes by leaving)."""
    page = new_page(browser, live_server, javascript=False, locale="en-US")
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.resource_type, request.url)))

    def refuse(route: Any) -> None:
        route.abort()

    page.route(re.compile(r".*\.(woff2?|ttf|otf|eot)(\?.*)?$"), refuse)  # no web fonts at "Safest"
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Lämna ett tips").first.click()
    page.wait_for_url(f"{live_server.url}/report/")
    page.locator("button[value=add_url]").click()  # more fields without JavaScript
    assert page.locator("input[name^=url_]:not([type=hidden])").count() == 4
    page.fill("#id_url_4", "https://safest.example.test/thread/3")
    page.fill("#id_description", "Sett i en chattgrupp.")
    page.locator("button[value=send]").click()
    receipt = page.locator("#receipt").inner_text()
    # The language switch without JavaScript: a form; the status page in Arabic, right to left.
    page.goto(f"{live_server.url}/report/status/")
    page.locator("button[value=ar]").click()
    page.wait_for_url(f"{live_server.url}/report/status/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_receipt", receipt)
    page.locator("main button[type=submit]").click()
    assert page.locator("#public-status").get_attribute("data-status") == "received"
    page.fill("#id_message", "The link was posted again.")
    page.locator("main form[action='/report/status/'] button[type=submit]").click()
    assert page.locator(".message.success").count() == 1
    assert Report.objects.get().language == "sv" and Report.objects.get().reporter_messages.count() == 1
    page.goto(f"{live_server.url}/privacy/")
    host = urlsplit(live_server.url).netloc
    elsewhere = [(kind, url) for kind, url in requests if urlsplit(url).netloc != host]
    assert not elsewhere, elsewhere
    assert not [url for kind, url in requests if kind == "font"], "a public page asked for a web font"
    # Leaving is a plain link here, and the neutral site learns nothing about where the visitor was.
    with page.expect_navigation(url=exit_url):
        page.locator("[data-quick-exit]").click()
    assert "referer" not in page_visit(neutral_site)
    page.context.close()
