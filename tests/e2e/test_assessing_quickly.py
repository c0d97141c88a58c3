"""Issue 13, points 8 and 11 in a real browser (Debian's chromium): the verdict keys choose a verdict on the
assessment form, the case page has two columns at desktop width and one on a phone, and the "contact police
now" page passes axe."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_casework import cookie_sign_in
from tests.e2e.test_staff_casework_pages import axe_clean, demo_cases, swedish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _analyst_page(live_server: Any, new_browser_context: Any, width: int) -> Any:
    from hotline.staff.models import StaffUser

    demo_cases()
    page = new_browser_context(viewport={"width": width, "height": 900}).new_page()
    swedish(page, live_server.url)
    cookie_sign_in(page, live_server.url, StaffUser.objects.get(email="analyst2@hotline.example"))
    return page


def test_verdict_keys_and_two_columns(live_server: Any, new_browser_context: Any) -> None:
    from hotline.cases.models import Case, CaseState

    page = _analyst_page(live_server, new_browser_context, 1280)
    case = (
        Case.objects.filter(claimed_by=None, state=CaseState.TRIAGED, kind="online_material")
        .exclude(url_index=None)
        .order_by("pk")
        .first()
    )
    assert case is not None
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('.case-layout')).gridTemplateColumns.split(' ').length"
    )
    assert columns == 2
    page.click(f"form[action='/cases/{case.pk}/assess/start/'] button[type=submit]")
    page.wait_for_selector("form.assessment-form", timeout=10_000)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("4")
    assert page.is_checked("input[name=verdict][value=not_csam]")
    page.keyboard.press("1")
    assert page.is_checked("input[name=verdict][value=csam_baseline]")
    # A digit typed in a text field stays text.
    page.fill("textarea[name=reasoning]", "")
    page.focus("textarea[name=reasoning]")
    page.keyboard.press("2")
    assert page.is_checked("input[name=verdict][value=csam_baseline]")
    assert page.input_value("textarea[name=reasoning]") == "2"
    axe_clean(page)


def test_one_column_on_a_phone_and_the_police_now_page(live_server: Any, new_browser_context: Any) -> None:
    from hotline.cases.models import Case

    page = _analyst_page(live_server, new_browser_context, 390)
    case = Case.objects.filter(kind="trafficking", nexus_victim_hint=True).exclude(state="closed").first()
    assert case is not None
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.evaluate("getComputedStyle(document.querySelector('.case-layout')).display") == "block"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.click(f"a[href='/cases/{case.pk}/police-now/']")
    page.wait_for_selector("form.police-now-form", timeout=10_000)
    assert "Kontakta polisen nu" in page.content()
    axe_clean(page)
