"""Staff sign-in and enrolment through a real browser (Debian's chromium), with the strict CSP in force."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django_otp.oath import totp

from hotline.testing import current_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def watch_csp(page: Any) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    return violations


def submit(page: Any, button: str) -> Any:
    """Click a submit button and return the response of the page it leads to (after redirects)."""
    with page.expect_navigation(timeout=10_000) as navigation:
        page.click(button)
    return navigation.value


def password_step(page: Any, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/staff/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    response = submit(page, "form[action='/staff/login/'] button[type=submit]")
    assert response.status == 200 and response.url.endswith("/staff/login/verify/"), response.status


def test_sign_in_with_password_and_totp(live_server: Any, page: Any, make_staff: Any) -> None:
    user = make_staff("analyst", "supervisor", email="johan@hotline.example", password=PASSWORD)
    violations = watch_csp(page)
    password_step(page, live_server.url, "johan@hotline.example")
    page.fill("input[name=otp_token]", current_totp(user))
    response = submit(page, "form[action='/staff/login/verify/'] button[type=submit]")
    assert response.status == 200 and re.search(r"/cases/supervision/$", response.url)  # a supervisor's work
    page.goto(f"{live_server.url}/staff/")
    assert page.locator("h1").inner_text() == "Startsida för personal"
    assert "johan@hotline.example" in page.content()
    assert page.locator("main a[href='/staff/audit/']").count() == 1
    assert violations == []


def test_wrong_code_in_the_browser_stays_on_the_code_step(live_server: Any, page: Any, make_staff: Any) -> None:
    user = make_staff("analyst", email="sara@hotline.example", password=PASSWORD)
    password_step(page, live_server.url, "sara@hotline.example")
    wrong = f"{(int(current_totp(user)) + 1) % 1_000_000:06d}"
    page.fill("input[name=otp_token]", wrong)
    response = submit(page, "form[action='/staff/login/verify/'] button[type=submit]")
    assert response.status == 400
    assert page.locator("[role=alert]").inner_text() == "Fel kod."
    assert page.url.endswith("/staff/login/verify/")


def test_enrolment_page_shows_the_qr_code_without_csp_violations(live_server: Any, page: Any) -> None:
    from hotline.staff.services import create_staff_user

    _user, link = create_staff_user(email="ny@hotline.example", roles=["analyst"], actor="test")
    violations = watch_csp(page)
    page.goto(f"{live_server.url}{link}")
    qr = page.locator("svg.qr-code")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 150
    assert len(page.locator(".secret").inner_text().replace(" ", "")) == 32
    assert violations == []


def test_enrolment_through_the_browser(live_server: Any, page: Any) -> None:
    from hotline.staff.services import create_staff_user

    _user, link = create_staff_user(email="ny@hotline.example", roles=["analyst"], actor="test")
    page.goto(f"{live_server.url}{link}")
    secret = page.locator(".secret").inner_text().replace(" ", "")
    page.fill("input[name=password1]", "lilac-harbour-tundra-91")
    page.fill("input[name=password2]", "lilac-harbour-tundra-91")
    page.fill("input[name=code]", f"{totp(base64.b32decode(secret)):06d}")
    assert submit(page, "main button[type=submit]").status == 200
    assert page.locator(".recovery-codes li").count() == 10
    assert submit(page, "main a[href='/staff/']").status == 200
    assert page.locator("h1").inner_text() == "Startsida för personal"
