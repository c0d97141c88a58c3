"""Payment indicators in a real browser (Debian's chromium), with the strict CSP in force: an analyst enters one on
a commercial case (a typing error is refused with the form filled in again, then corrected), the coalition liaison
includes it and publishes a signed export; axe-core finds no accessibility violations on the liaison's pages."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IBAN_TYPED_WRONG = "BE68 5390 0754 7035"
IBAN = "BE68 5390 0754 7034"  # the SWIFT IBAN registry's Belgian example


def cookie_sign_in(page: Any, base_url: str, user: Any, language: str) -> None:
    from django.test import Client

    from hotline.testing import login_verified

    client = login_verified(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url},
        ]
    )


def _axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in results.response["violations"]]


def test_an_indicator_from_the_case_page_to_a_signed_export(
    live_server: Any, page: Any, make_staff: Any, tmp_path: Path, settings: Any
) -> None:
    from hotline.intel.models import CoalitionExport
    from hotline.testing import make_assessed_case

    settings.HOTLINE_COALITION_KEY_FILE = str(tmp_path / "coalition.pem")
    case = make_assessed_case(host="shop.example.test", path="/e2e/1", commercial=True)
    analyst = make_staff("analyst", email="johan@hotline.example")
    liaison = make_staff("coalition_liaison", email="liaison@hotline.example")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    cookie_sign_in(page, live_server.url, analyst, "en")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.select_option("#id_payment_kind", "iban")
    page.fill("#id_payment_value", IBAN_TYPED_WRONG)
    page.click(f"form[action='/cases/{case.pk}/payment-indicators/'] button[type=submit]")
    page.wait_for_selector("p.error[role=alert]")
    assert "check digits of this IBAN do not match" in page.locator("p.error").inner_text()
    assert page.input_value("#id_payment_value") == IBAN_TYPED_WRONG
    page.fill("#id_payment_value", IBAN)
    page.click(f"form[action='/cases/{case.pk}/payment-indicators/'] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/cases/{case.pk}/(#payments-heading)?$"))
    assert IBAN in page.locator("#payments-heading + *, section[aria-labelledby=payments-heading]").first.inner_text()

    cookie_sign_in(page, live_server.url, liaison, "sv")
    page.goto(f"{live_server.url}/intel/payments/")
    assert page.locator("h1").inner_text() == "Betalindikatorer"
    assert _axe_violations(page) == []
    page.click("button[name=decision][value=included]")
    page.wait_for_selector(".message.success")
    page.goto(f"{live_server.url}/intel/payments/exports/")
    assert _axe_violations(page) == []
    page.check("#publish-confirm")
    page.click("form[action='/intel/payments/exports/publish/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/intel/payments/exports/\d+/$"))
    export = CoalitionExport.objects.get()
    body = page.content()
    assert export.csv_sha256 in body and export.json_sha256 in body and "BEGIN PUBLIC KEY" in body
    assert hashlib.sha256(bytes(export.json_content)).hexdigest() == export.json_sha256
    assert _axe_violations(page) == []
    assert case.canonical_url not in body and "shop.example.test" not in body
    assert violations == []


def test_the_liaison_is_refused_the_case_page_in_the_browser(live_server: Any, page: Any, make_staff: Any) -> None:
    from hotline.testing import make_assessed_case

    case = make_assessed_case(host="shop.example.test", path="/e2e/2", commercial=True)
    liaison = make_staff("coalition_liaison", email="liaison2@hotline.example")
    cookie_sign_in(page, live_server.url, liaison, "en")
    answer = page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert answer is not None and answer.status == 403
    assert "shop.example.test" not in page.content()
