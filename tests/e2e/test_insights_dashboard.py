"""The statistics dashboard in a real browser (Debian's chromium), signed in as a statistician, over the demo
history: the first quarter of the second demo year. With JavaScript off, all five charts load in parallel from
the one page as SVG images (200, image/svg+xml) and the page is saved as a screenshot
(var/test-screenshots/insights/dashboard-*.png). With JavaScript on (for the checks themselves: Playwright's
evaluate and axe need it), every chart image is decoded by the browser, each has a data table, the seed's figure
(120 reports, three times a year earlier) is on the page and axe finds 0 violations."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_casework import cookie_sign_in
from tests.e2e.test_staff_casework_pages import axe_clean

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("var/test-screenshots/insights")


def demo_history() -> None:
    from hotline.insights import demo
    from hotline.insights.services import rollups
    from hotline.staff.factories import staff_user

    staff_user("analyst", email=demo.ANALYST)
    demo.load(io.StringIO())
    rollups.refresh()


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_charts_load_and_tables_hold_the_seed_figures(
    live_server: Any, new_browser_context: Any, make_staff: Any, width: int
) -> None:
    from hotline.insights import demo

    demo_history()
    _first, second = demo.history_years()
    url = f"{live_server.url}/insights/?unit=quarter&year={second}&quarter=1"
    statistician = make_staff("statistician")

    no_script = new_browser_context(viewport={"width": width, "height": 900}, java_script_enabled=False).new_page()
    no_script.set_default_timeout(15_000)
    no_script.context.add_cookies([{"name": "hotline_language", "value": "en", "url": live_server.url}])
    cookie_sign_in(no_script, live_server.url, statistician)
    charts: list[Any] = []
    no_script.on("response", lambda r: charts.append(r) if "/insights/charts/" in r.url else None)
    answer = no_script.goto(url, wait_until="load")
    assert answer is not None and answer.status == 200
    assert no_script.locator("section.chart img").count() == 5
    assert len(charts) == 5
    for response in charts:
        assert response.status == 200, response.url
        assert response.headers["content-type"].startswith("image/svg+xml"), response.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"dashboard-{width}.png"
    no_script.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000

    page = new_browser_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    page.context.add_cookies([{"name": "hotline_language", "value": "en", "url": live_server.url}])
    cookie_sign_in(page, live_server.url, statistician)
    page.goto(url, wait_until="load")
    decoded = page.evaluate(
        "() => [...document.querySelectorAll('section.chart img')].map(i => i.complete && i.naturalWidth > 0)"
    )
    assert decoded == [True] * 5
    assert page.locator("table.data").count() >= 5

    reports = page.locator("tr[data-figure=reports]").first
    cells = [c.strip() for c in reports.locator("td").all_inner_texts()]
    assert cells[0] == "120" and cells[1] == "40", cells  # this quarter, and the same quarter a year earlier
    assert "3" in cells[2], cells  # the ratio: three times as many
    axe_clean(page)
