"""The goals and results pages in a real browser (Debian's chromium): the demo's published page in Swedish and in
English, with JavaScript turned off, shows its charts (each SVG image loaded within its own policy) and passes axe
with 0 violations; the supervisor's staff page of the year and the publish confirmation pass axe in Swedish and
show words, not codes. Screenshots in var/test-screenshots/staff/results-*.png (HOTLINE_SCREENSHOT_DIR)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.e2e.test_casework import cookie_sign_in
from tests.e2e.test_staff_casework_pages import axe_clean, shoot, swedish
from tests.test_staff_pages_speak_swedish import choice_codes, problems_in, visible_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 10_000


def demo_results() -> int:
    from hotline.insights import demo, results_demo
    from hotline.staff import demo as staff_demo

    staff_demo.load(io.StringIO())
    demo.load(io.StringIO())
    results_demo.load(io.StringIO())
    return demo.history_years()[1]


def charts_loaded(page: Any) -> int:
    """How many chart images the browser drew (an image refused by its policy or broken has no natural width)."""
    images = page.locator("img[src*='/charts/']")
    count = images.count()
    for i in range(count):
        images.nth(i).scroll_into_view_if_needed()
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), i
    return count


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_published_page_without_javascript_shows_its_charts_and_passes_axe(
    live_server: Any, new_browser_context: Any, language: str
) -> None:
    goal_year = demo_results()
    url = f"{live_server.url}/results/{goal_year}/"
    # Without JavaScript: the charts are images, nothing needs a script.
    plain = new_browser_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False).new_page()
    plain.set_default_timeout(WAIT_MS)
    plain.context.add_cookies(
        [{"name": "hotline_language", "value": language, "url": live_server.url, "httpOnly": True}]
    )
    assert plain.goto(url).status == 200
    plain.wait_for_load_state("load")
    text = plain.locator("main").inner_text().replace("\xa0", " ")
    assert ("×3,0" if language == "sv" else "×3.0") in text and "79 %" in text
    assert ("5 005" if language == "sv" else "5,005") in text
    shoot(plain, f"results-public-{language}")
    # With scripts on only for axe itself.
    page = new_browser_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.context.add_cookies(
        [{"name": "hotline_language", "value": language, "url": live_server.url, "httpOnly": True}]
    )
    page.goto(url)
    page.wait_for_load_state("load")
    assert charts_loaded(page) == 6
    assert page.locator("h1").count() == 1
    assert page.locator("html").get_attribute("lang") == language
    axe_clean(page)


def test_the_staff_pages_of_a_year_pass_axe_in_swedish(live_server: Any, new_browser_context: Any) -> None:
    from hotline.staff.models import StaffUser

    goal_year = demo_results()
    page = new_browser_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    swedish(page, live_server.url)
    cookie_sign_in(page, live_server.url, StaffUser.objects.get(email="supervisor@hotline.example"))
    for path, name in (("/insights/results/", "years"), (f"/insights/results/{goal_year}/", "year")):
        assert page.goto(live_server.url + path).status == 200
        for summary in page.locator("details > summary").all():
            summary.click()  # the forms inside are checked too
        assert page.locator("h1").count() == 1
        assert problems_in(visible_text(page.content()), choice_codes()) == [], path
        axe_clean(page)
        shoot(page, f"results-{name}")
    page.click(f"form[action='/insights/results/{goal_year}/publish/'] button[type=submit]")
    page.wait_for_selector("input[name=confirmed]", state="attached")
    axe_clean(page)
    shoot(page, "results-publish-confirm")
