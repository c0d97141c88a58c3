"""Staff pages in a real browser (Debian's chromium): the staff bar fits on one line at 1280 px for the role with
the most links; staff tables outside cases scroll inside their own region at 390 px (no sideways page scroll);
a duplicate close without a case number is refused, with JavaScript off. Every wait has a timeout."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_casework import cookie_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 10_000


def swedish(page: Any, base_url: str) -> None:
    page.context.add_cookies([{"name": "hotline_language", "value": "sv", "url": base_url, "httpOnly": True}])


def open_page(page: Any, url: str) -> None:
    page.goto(url, timeout=WAIT_MS, wait_until="load")


def role_with_most_links() -> tuple[str, int]:
    from hotline.core import registry
    from hotline.core.authz import ROLES

    counts = {role: len(registry.staff_links_for([role])) for role in ROLES}
    role = max(counts, key=lambda r: counts[r])
    return role, counts[role]


def test_the_staff_bar_fits_on_one_line_at_1280(live_server: Any, new_browser_context: Any, make_staff: Any) -> None:
    role, count = role_with_most_links()
    assert count >= 3
    page = new_browser_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    swedish(page, live_server.url)
    cookie_sign_in(page, live_server.url, make_staff(role))
    open_page(page, f"{live_server.url}/staff/")
    tops = page.evaluate("[...document.querySelectorAll('.site-header nav a')].map(e => e.offsetTop)")
    assert len(tops) == count  # every registered link of the role
    assert page.locator(".site-header .staff-account a[href='/staff/']").count() == 1
    assert page.locator(".site-header form[action='/staff/logout/'] button").count() == 1
    assert len(set(tops)) == 1, f"{role}: the staff bar wraps at 1280 px (offsetTop {tops})"
    boxes = page.evaluate(
        "[...document.querySelectorAll('.site-header nav a')].map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert max(boxes) - min(boxes) <= 4, boxes
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


STAFF_TABLE_PAGES = {
    "admin": ["/staff/users/", "/staff/audit/"],
    "supervisor": ["/referrals/", "/referrals/failed/"],
    "campaigner": ["/campaigns/", "/campaigns/newsletter/"],
}


def test_staff_tables_scroll_in_their_own_region_at_390(
    live_server: Any, new_browser_context: Any, make_staff: Any
) -> None:
    import io

    from hotline.campaigns import demo as campaigns_demo
    from hotline.cases import demo as cases_demo
    from hotline.staff import demo as staff_demo

    staff_demo.load(io.StringIO())
    cases_demo.load(io.StringIO())
    campaigns_demo.load(io.StringIO())
    context = new_browser_context(viewport={"width": 390, "height": 844})
    tables = 0
    for role, paths in STAFF_TABLE_PAGES.items():
        context.clear_cookies()
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        swedish(page, live_server.url)
        cookie_sign_in(page, live_server.url, make_staff(role, email=f"{role}-390@hotline.example"))
        for path in paths:
            open_page(page, f"{live_server.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
                f"{path} scrolls sideways at 390 px"
            )
            unwrapped = page.evaluate(
                "[...document.querySelectorAll('main table')].filter(t => !t.closest('.table-scroll')).length"
            )
            assert unwrapped == 0, f"{path}: a table outside .table-scroll"
            tables += page.locator("main .table-scroll table").count()
        page.close()
    assert tables >= 3  # the demo data fills the users, audit and campaigns lists: real tables were measured


def test_a_duplicate_close_without_a_case_number_is_refused_with_javascript_off(
    live_server: Any, new_browser_context: Any, make_staff: Any
) -> None:
    from hotline.cases import services
    from hotline.cases.models import Case, CaseState
    from hotline.testing import store_report

    case_id = services.triage_report(report_id=store_report("https://img-host.example/dup").pk).case_ids[0]
    page = new_browser_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.context.add_cookies([{"name": "hotline_language", "value": "en", "url": live_server.url}])
    cookie_sign_in(page, live_server.url, make_staff("analyst"))
    open_page(page, f"{live_server.url}/cases/{case_id}/")
    page.select_option("form.close-form select[name=reason]", "duplicate")
    page.fill("form.close-form input[name=duplicate_of]", "")
    page.click("form.close-form button[type=submit]", timeout=WAIT_MS)
    page.wait_for_load_state("load", timeout=WAIT_MS)
    # The case page again, answered before any confirmation step: the error next to the number field (its
    # aria-describedby) and in the error summary at the top.
    text = page.inner_text("main", timeout=WAIT_MS)
    assert "Give the number of the case this one duplicates." in text
    assert "Give the number of the case" in page.inner_text("#duplicate-error", timeout=WAIT_MS)
    assert page.get_attribute("input[name=duplicate_of]", "aria-invalid") == "true"
    assert page.locator(".error-summary a[href='#id_duplicate_of']").count() == 1
    assert page.locator("form.confirm-form").count() == 0  # refused before the confirmation step
    case = Case.objects.get(pk=case_id)
    assert case.state != CaseState.CLOSED and case.duplicate_of_id is None
