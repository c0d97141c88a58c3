"""An analyst's morning in a real browser (Debian's chromium): sign in with password + TOTP, open the queue,
claim a case, assess it, and see the assessment on the timeline — with the strict CSP in force."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from hotline.testing import current_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"
URL = "https://files.example.test/album/e2e-1"


def sign_in(page: Any, base_url: str, user: Any) -> None:
    page.goto(f"{base_url}/staff/login/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/staff/login/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/login/verify/$"), timeout=10_000)
    page.fill("input[name=otp_token], input[name=code]", current_totp(user))
    page.click("form[action='/staff/login/verify/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/cases/$"), timeout=10_000)  # an analyst lands on the queue


def test_claim_assess_and_see_the_timeline(live_server: Any, page: Any, make_staff: Any) -> None:
    from hotline.cases import services
    from hotline.cases.models import Assessment, Case, CaseState
    from hotline.testing import store_report

    analyst = make_staff("analyst", email="johan@hotline.example", password=PASSWORD)
    report = store_report(URL, description="Link seen in a group chat.", reporter_classification="Images")
    case_id = services.triage_report(report_id=report.pk).case_ids[0]

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.context.add_cookies([{"name": "hotline_language", "value": "en", "url": live_server.url}])

    sign_in(page, live_server.url, analyst)
    page.goto(f"{live_server.url}/cases/")
    assert "0 of 120 minutes" in page.content()
    page.click(f"a[href='/cases/{case_id}/']")
    page.wait_for_url(re.compile(rf".*/cases/{case_id}/$"))
    assert page.locator(".plain-url").first.inner_text() == Case.objects.get(pk=case_id).canonical_url
    assert page.locator("a[href*='files.example.test']").count() == 0

    page.click("form[action$='/claim/'] button[type=submit]")
    page.wait_for_selector(".message.success", timeout=10_000)
    assert "You hold this case" in page.locator(".message.success").inner_text()

    page.click(f"form[action='/cases/{case_id}/assess/start/'] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/cases/{case_id}/assess/$"))
    assert "Images" in page.locator(".reporter-side").inner_text()
    page.check("input[name=verdict][value=csam_baseline]")
    page.check("input[name=media_types][value=image]")
    page.fill("input[name=image_count]", "3")
    page.select_option("select[name=site_type]", "file_host")
    page.check("input[name=nexus_server]")
    page.fill("textarea[name=reasoning]", "Matches the baseline definition.")
    page.click("form.assessment-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/cases/{case_id}/$"), timeout=10_000)

    timeline = page.locator("#timeline").inner_text()
    assert "Assessment:" in timeline and "Illegal everywhere" in timeline
    assert "Claimed" in timeline and "Report received" in timeline
    assessment = Assessment.objects.get(case_id=case_id)
    assert assessment.analyst == analyst and assessment.image_count == 3 and assessment.nexus_server
    assert Case.objects.get(pk=case_id).state == CaseState.ASSESSED
    assert violations == []
    # The browser never asked the reported host for anything (no link, prefetch or favicon).
    assert not any("example.test" in url for url in requests)


def cookie_sign_in(page: Any, base_url: str, user: Any) -> None:
    """Signed in with two factors through Django's test client, the session cookie handed to the browser.
    For the checks of the page's own scripts (fetch), which do not depend on the sign-in forms."""
    from django.test import Client

    from hotline.testing import login_verified

    client = login_verified(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])


def test_copy_url_with_javascript_goes_to_the_clipboard(
    live_server: Any, page: Any, browser_context: Any, make_staff: Any
) -> None:
    from hotline.cases import services
    from hotline.core.models import AuditEntry
    from hotline.testing import store_report

    analyst = make_staff("analyst", email="sara@hotline.example", password=PASSWORD)
    case_id = services.triage_report(report_id=store_report(URL).pk).case_ids[0]
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    cookie_sign_in(page, live_server.url, analyst)
    page.goto(f"{live_server.url}/cases/{case_id}/")
    page.click("form.copy-url-form button[type=submit]")
    # (a CSS wait: Playwright's polled JavaScript predicates need eval, which the strict CSP refuses)
    page.wait_for_selector(".copy-status:not(:empty)", timeout=10_000)
    assert page.url.endswith(f"/cases/{case_id}/")  # stayed on the page
    assert page.evaluate("navigator.clipboard.readText()") == URL
    assert AuditEntry.objects.filter(action="case.url_copied", object_id=str(case_id)).count() == 1


def test_leaving_the_assessment_page_ends_the_exposure_session(live_server: Any, page: Any, make_staff: Any) -> None:
    import time

    from hotline.cases import services
    from hotline.cases.models import ExposureSession
    from hotline.testing import store_report

    analyst = make_staff("analyst", email="nils@hotline.example", password=PASSWORD)
    case_id = services.triage_report(report_id=store_report(URL).pk).case_ids[0]
    cookie_sign_in(page, live_server.url, analyst)
    page.goto(f"{live_server.url}/cases/{case_id}/assess/")
    assert not ExposureSession.objects.filter(analyst=analyst).exists()  # a page load starts nothing
    page.click(f"form[action='/cases/{case_id}/assess/start/'] button[type=submit]")
    page.wait_for_selector("form.assessment-form", timeout=10_000)
    session = ExposureSession.objects.get(analyst=analyst)
    assert session.ended_at is None
    # Leaving: the page's script tells the server. (about:blank, so that no other request of this browser
    # competes with it for pytest's in-memory SQLite, which serves one writer thread at a time.)
    page.goto("about:blank")
    from django.db import OperationalError

    deadline = time.monotonic() + 30  # a loaded 2-core CI machine answers the beacon late
    while time.monotonic() < deadline:
        try:
            session.refresh_from_db()
        except OperationalError:  # in-memory SQLite answers "table is locked" while the server writes
            time.sleep(0.1)
            continue
        if session.ended_at is not None:
            break
        time.sleep(0.1)
    assert session.ended_at is not None
