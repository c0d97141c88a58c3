"""The payment indicator pages: the case page panel and its POST-only form (a refused value answers 400 with the
message in the visitor's language and the form to correct), the liaison's list, review, publishing and downloads,
and that the liaison's pages show nothing of a case."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings

from hotline.core.models import AuditEntry
from hotline.intel import payment_services
from hotline.intel.models import CoalitionExport, PaymentIndicator, PaymentIndicatorSighting
from hotline.intel.tests.payment_fixtures import BITCOIN, CASE_CONTACT, CASE_DESCRIPTION, IBAN, commercial_case
from hotline.staff.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def key_file(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "coalition.pem"
    settings.HOTLINE_COALITION_KEY_FILE = str(path)
    return path


def _english(client: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_case_page_shows_the_panel_and_the_form_on_a_commercial_case(staff_client: Any) -> None:
    case = commercial_case()
    analyst = staff_client("analyst")
    page = analyst.get(f"/cases/{case.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="payments-heading"' in body and f'action="/cases/{case.pk}/payment-indicators/"' in body


def test_a_case_that_is_not_commercial_has_no_form(staff_client: Any) -> None:
    case = commercial_case()
    case.assessments.update(commercial=False)
    body = _english(staff_client("analyst")).get(f"/cases/{case.pk}/").content.decode()
    assert "assess the case as commercial first" in body
    assert f'action="/cases/{case.pk}/payment-indicators/"' not in body


def test_an_analyst_enters_an_indicator_and_sees_it_with_the_other_cases(staff_client: Any) -> None:
    one, two = commercial_case(1), commercial_case(2)
    analyst = staff_client("analyst")
    for case in (one, two):
        answer = analyst.post(f"/cases/{case.pk}/payment-indicators/", {"kind": "iban", "value": IBAN.lower()})
        assert answer.status_code == 302 and answer["Location"] == f"/cases/{case.pk}/#payments-heading"
    body = _english(analyst).get(f"/cases/{two.pk}/").content.decode()
    assert "BE68 5390 0754 7034" in body and f'href="/cases/{one.pk}/"' in body
    assert "Payment indicator:" in body and "entered" in body  # on the case's timeline
    assert PaymentIndicator.objects.get().case_count == 2


def test_a_refused_value_answers_400_in_swedish_with_the_form_filled_in(staff_client: Any) -> None:
    case = commercial_case()
    answer = staff_client("analyst").post(
        f"/cases/{case.pk}/payment-indicators/", {"kind": "iban", "value": "BE68 5390 0754 7035"}
    )
    body = answer.content.decode()
    assert answer.status_code == 400
    assert "kontrollsiffr" in body.lower() and 'value="BE68 5390 0754 7035"' in body
    assert not PaymentIndicator.objects.exists()


def test_a_refused_value_in_english(staff_client: Any) -> None:
    case = commercial_case()
    answer = _english(staff_client("analyst")).post(
        f"/cases/{case.pk}/payment-indicators/", {"kind": "bitcoin", "value": "bc1 qxyz"}
    )
    assert answer.status_code == 400 and "character 4 is a space" in answer.content.decode()


def test_a_missing_kind_and_an_unknown_case_are_clear_4xx(staff_client: Any) -> None:
    case = commercial_case()
    analyst = staff_client("analyst")
    assert analyst.post(f"/cases/{case.pk}/payment-indicators/", {"value": BITCOIN}).status_code == 400
    assert (
        analyst.post(f"/cases/{case.pk + 99}/payment-indicators/", {"kind": "bitcoin", "value": BITCOIN}).status_code
        == 404
    )


def test_the_form_takes_posts_only(staff_client: Any) -> None:
    case = commercial_case()
    assert staff_client("analyst").get(f"/cases/{case.pk}/payment-indicators/").status_code == 405


def test_removing_asks_once_more(staff_client: Any) -> None:
    case = commercial_case()
    analyst = staff_client("analyst")
    analyst.post(f"/cases/{case.pk}/payment-indicators/", {"kind": "bitcoin", "value": BITCOIN})
    indicator = PaymentIndicator.objects.get()
    url = f"/cases/{case.pk}/payment-indicators/{indicator.pk}/remove/"
    ask = analyst.post(url)
    assert ask.status_code == 200 and 'name="confirm" value="yes"' in ask.content.decode()
    assert PaymentIndicatorSighting.objects.exists()
    done = analyst.post(url, {"confirm": "yes"})
    assert done.status_code == 302 and not PaymentIndicatorSighting.objects.exists()


def _with_indicators() -> tuple[Any, Any]:
    analyst = staff_user("analyst", email="analyst@hotline.example")
    case = commercial_case()
    entered = payment_services.add_case_indicator(case_id=case.pk, kind="bitcoin", value=BITCOIN, actor=analyst)
    return case, entered.indicator


def test_the_liaison_reviews_and_publishes_and_sees_no_case(staff_client: Any) -> None:
    case, indicator = _with_indicators()
    liaison = staff_client("coalition_liaison")
    listing = liaison.get("/intel/payments/?state=pending")
    assert listing.status_code == 200 and BITCOIN.lower() in listing.content.decode()
    detail = liaison.get(f"/intel/payments/{indicator.pk}/")
    assert detail.status_code == 200
    reviewed = liaison.post(f"/intel/payments/{indicator.pk}/review/", {"decision": "included", "next": "pending"})
    assert reviewed.status_code == 302 and reviewed["Location"] == "/intel/payments/?state=pending"
    assert PaymentIndicator.objects.get().review_state == "included"

    unconfirmed = liaison.post("/intel/payments/exports/publish/")
    assert unconfirmed.status_code == 400 and not CoalitionExport.objects.exists()
    published = liaison.post("/intel/payments/exports/publish/", {"confirm": "yes"})
    export = CoalitionExport.objects.get()
    assert published.status_code == 302 and published["Location"] == f"/intel/payments/exports/{export.pk}/"

    pages = [
        liaison.get(path)
        for path in (
            "/intel/payments/",
            f"/intel/payments/{indicator.pk}/",
            "/intel/payments/exports/",
            f"/intel/payments/exports/{export.pk}/",
        )
    ]
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        for fact in (case.canonical_url, case.host, CASE_DESCRIPTION, CASE_CONTACT, f"/cases/{case.pk}/", "analyst@"):
            assert fact not in body, fact
    assert export.csv_sha256 in pages[3].content.decode() and "BEGIN PUBLIC KEY" in pages[3].content.decode()
    assert "Den senaste exporten publicerades för 0 dagar sedan." in pages[2].content.decode()


def test_downloads_are_the_signed_bytes_and_are_audited(staff_client: Any) -> None:
    _case, indicator = _with_indicators()
    liaison = staff_client("coalition_liaison")
    liaison.post(f"/intel/payments/{indicator.pk}/review/", {"decision": "included"})
    liaison.post("/intel/payments/exports/publish/", {"confirm": "yes"})
    export = CoalitionExport.objects.get()
    base = f"/intel/payments/exports/{export.pk}/download"
    parts = ("csv", "json", "csv.sig", "json.sig", "sha256", "pem", "schema")
    files = {part: liaison.get(f"{base}/{part}/") for part in parts}
    assert all(r.status_code == 200 for r in files.values())
    assert files["csv"]["Content-Disposition"] == 'attachment; filename="coalition-indicators-0001.csv"'
    key = load_pem_public_key(files["pem"].content)
    key.verify(files["json.sig"].content, files["json"].content)  # type: ignore[union-attr,call-arg]
    key.verify(files["csv.sig"].content, files["csv"].content)  # type: ignore[union-attr,call-arg]
    sums = files["sha256"].content.decode()
    assert f"{hashlib.sha256(files['csv'].content).hexdigest()}  coalition-indicators-0001.csv" in sums
    assert liaison.get(f"{base}/nothing/").status_code == 404
    assert AuditEntry.objects.filter(action="coalition_export.downloaded").count() == 7
    assert files["schema"]["Content-Disposition"] == 'attachment; filename="coalition-export-v1.schema.json"'
    assert b'"hotline-coalition-indicators"' in files["schema"].content


def test_a_long_list_says_it_shows_the_most_recent(staff_client: Any, settings: Any, monkeypatch: Any) -> None:
    from hotline.intel import payments_views

    monkeypatch.setattr(payments_views, "LIST_LIMIT", 1)
    analyst = staff_user("analyst", email="analyst@hotline.example")
    case = commercial_case()
    for kind, value in (("bitcoin", BITCOIN), ("iban", IBAN)):
        payment_services.add_case_indicator(case_id=case.pk, kind=kind, value=value, actor=analyst)
    body = _english(staff_client("coalition_liaison")).get("/intel/payments/").content.decode()
    assert "The 1 most recently seen are shown" in body and body.count("/review/") == 1


def test_a_supervisor_reads_but_does_not_review_or_publish(staff_client: Any) -> None:
    _case, indicator = _with_indicators()
    supervisor = staff_client("supervisor")
    assert supervisor.get("/intel/payments/").status_code == 200
    assert supervisor.post(f"/intel/payments/{indicator.pk}/review/", {"decision": "included"}).status_code == 403
    assert supervisor.post("/intel/payments/exports/publish/", {"confirm": "yes"}).status_code == 403


def test_publishing_without_a_usable_key_in_production_is_a_clear_409(staff_client: Any, settings: Any) -> None:
    _case, indicator = _with_indicators()
    liaison = _english(staff_client("coalition_liaison"))
    liaison.post(f"/intel/payments/{indicator.pk}/review/", {"decision": "included"})
    settings.PRODUCTION = True
    answer = liaison.post("/intel/payments/exports/publish/", {"confirm": "yes"})
    assert answer.status_code == 409 and "signing key is missing" in answer.content.decode()
