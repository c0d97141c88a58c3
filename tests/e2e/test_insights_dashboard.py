"""The statistics dashboard in a real browser (Debian's chromium) with JavaScript off, in Swedish, on the demo
history: every chart image loads, the charts' own policy lets their stylesheet apply (and nothing else), axe finds
0 violations, and the page is saved as screenshots at 1280 and 390 px (var/test-screenshots/insights/,
HOTLINE_SCREENSHOT_DIR to change)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.test_casework import cookie_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("HOTLINE_SCREENSHOT_DIR", ROOT / "var" / "test-screenshots")) / "insights"


def demo_history() -> Any:
    from hotline.insights import demo as insights_demo
    from hotline.staff import demo as staff_demo
    from hotline.staff.models import StaffUser

    staff_demo.load(io.StringIO())
    insights_demo.load(io.StringIO())
    return StaffUser.objects.get(email="director@hotline.example")  # the statistician


def shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


@pytest.mark.parametrize("width", [1280, 390])
def test_the_dashboard_without_javascript_shows_its_charts_passes_axe_and_is_saved(
    live_server: Any, new_browser_context: Any, width: int
) -> None:
    from hotline.insights import charts, demo

    director = demo_history()
    _first, second = demo.history_years()
    page = new_browser_context(java_script_enabled=False, viewport={"width": width, "height": 900}).new_page()
    page.context.add_cookies([{"name": "hotline_language", "value": "sv", "url": live_server.url}])
    cookie_sign_in(page, live_server.url, director)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )

    page.goto(f"{live_server.url}/insights/?unit=quarter&year={second}&quarter=1")
    assert page.locator("h1").inner_text() == "Statistik"
    reports = page.locator('tr[data-figure="reports"] td')
    assert reports.nth(0).inner_text() == "120" and reports.nth(2).inner_text() == "×3,0"
    images = page.locator("section.chart img")
    assert images.count() == len(charts.CHARTS)
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth") == charts.WIDTH, image.get_attribute("src")
    # No sideways scroll of the page: wide tables scroll inside their own region.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    shoot(page, "dashboard-quarter")
    assert refused == []

    page.goto(f"{live_server.url}/insights/?unit=year&year={second}")
    share = page.locator('tr[data-figure="nexus_partner_share"] td').nth(0).inner_text()
    assert share == "79 %"
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    if width == 1280:
        shoot(page, "dashboard-year")
    page.goto("about:blank")


def test_a_chart_opened_on_its_own_is_styled_by_its_hashed_stylesheet(
    live_server: Any, new_browser_context: Any
) -> None:
    """The policy of the image allows exactly its own <style>: were the hash wrong, the bars would be black."""
    from hotline.insights import demo

    director = demo_history()
    _first, second = demo.history_years()
    page = new_browser_context(java_script_enabled=False).new_page()
    cookie_sign_in(page, live_server.url, director)
    response = page.goto(f"{live_server.url}/insights/charts/nexus-by-source.svg?unit=year&year={second}")
    assert response is not None and response.headers["content-type"].startswith("image/svg+xml")
    fill = page.locator("rect.rect").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill not in ("rgb(0, 0, 0)", "none", "")
    page.goto("about:blank")


def test_the_public_definitions_pass_axe(live_server: Any, new_browser_context: Any) -> None:
    page = new_browser_context(java_script_enabled=False).new_page()
    page.context.add_cookies([{"name": "hotline_language", "value": "sv", "url": live_server.url}])
    page.goto(f"{live_server.url}/results/definitions/")
    assert page.locator("#partner-share").count() == 1
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.goto("about:blank")
