"""The analyst's pages in a real browser (Debian's chromium), in Swedish: the queue and the assessment page pass
axe with 0 violations and are saved as screenshots (var/test-screenshots/staff/, HOTLINE_SCREENSHOT_DIR to
change). (The refused duplicate close and the confirmation step are tested through Django's client in
cases/tests/test_case_page.py.)"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.test_casework import cookie_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("HOTLINE_SCREENSHOT_DIR", ROOT / "var" / "test-screenshots")) / "staff"


def axe_clean(page: Any) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def demo_cases() -> None:
    import io

    from hotline.cases import demo as cases_demo
    from hotline.staff import demo as staff_demo

    staff_demo.load(io.StringIO())
    cases_demo.load(io.StringIO())


def swedish(page: Any, base_url: str) -> None:
    page.context.add_cookies([{"name": "hotline_language", "value": "sv", "url": base_url, "httpOnly": True}])


@pytest.mark.parametrize("width", [1280, 390])
def test_the_queue_and_the_assessment_page_pass_axe_and_are_saved(
    live_server: Any, new_browser_context: Any, width: int
) -> None:
    from hotline.cases.models import Case, CaseState
    from hotline.staff.models import StaffUser

    demo_cases()
    analyst = StaffUser.objects.get(email="analyst2@hotline.example")
    page = new_browser_context(viewport={"width": width, "height": 900}).new_page()
    swedish(page, live_server.url)
    cookie_sign_in(page, live_server.url, analyst)
    page.goto(f"{live_server.url}/cases/")
    assert page.locator("table.case-table").count() >= 1
    assert "Omedelbar fara" in page.content()  # the demo's trafficking report is marked at the top
    # No sideways scroll of the page: wide tables scroll inside their own region.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    axe_clean(page)
    shoot(page, "queue")

    case = (
        Case.objects.filter(claimed_by=None, state=CaseState.TRIAGED, kind="online_material")
        .exclude(url_index=None)
        .order_by("pk")
        .first()
    )
    assert case is not None
    page.goto(f"{live_server.url}/cases/{case.pk}/assess/")
    axe_clean(page)  # the start page
    page.click(f"form[action='/cases/{case.pk}/assess/start/'] button[type=submit]")
    page.wait_for_selector("form.assessment-form", timeout=10_000)
    assert page.locator(".reporter-side").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    axe_clean(page)
    shoot(page, "assessment")
    # No request of this browser may still be running when the test database is flushed.
    page.goto("about:blank")
