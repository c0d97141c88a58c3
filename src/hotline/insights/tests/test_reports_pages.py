"""The report pages and their downloads: who may open them, refused quarters and years, accessible tables in
words (Swedish and English), formula-safe CSV, XLSX that opens, an audit entry per download."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from hotline.cases.factories import make_assessed_case
from hotline.core.models import AuditEntry
from hotline.insights.services import rollups
from hotline.referrals.models import Referral, ReferralState, Target

pytestmark = pytest.mark.django_db

QUARTER = {"year": "2026", "quarter": "1"}
YEAR = {"year": "2026"}
PAGES = (
    ("/insights/reports/", {}),
    ("/insights/reports/definitions/", {}),
    ("/insights/reports/quarterly/", QUARTER),
    ("/insights/reports/transparency/", YEAR),
    ("/insights/reports/quarterly.csv", QUARTER),
    ("/insights/reports/transparency.xlsx", YEAR),
)


def language(client: Client, code: str) -> Client:
    client.cookies["hotline_language"] = code
    return client


@pytest.fixture
def notice() -> Referral:
    """One case of quarter 1 of 2026 with a removed notice to a provider whose name starts like a formula."""
    case = make_assessed_case(path="/x", received_at=datetime(2026, 2, 1, 12, tzinfo=UTC), country="NL",
                              site_type="")  # fmt: skip
    referral = Referral.objects.create(
        reference="P1", case=case, target=Target.HOST_NOTICE, target_key="host_notice",
        state=ReferralState.CONTENT_REMOVED, sent_at=datetime(2026, 2, 2, 12, tzinfo=UTC),
        content_removed_at=datetime(2026, 2, 3, 15, tzinfo=UTC), recipient_name="=HYPERLINK(1)",
        recipient_country="NL",
    )  # fmt: skip
    rollups.refresh()
    return referral


@pytest.mark.parametrize("role", ["statistician", "supervisor", "admin"])
def test_the_statistics_roles_open_every_page(role: str, staff_client: Any) -> None:
    client = staff_client(role)
    for path, params in PAGES:
        response = client.get(path, params)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("role", ["analyst", "campaigner", "police_liaison"])
def test_other_roles_get_403_and_visitors_sign_in(role: str, staff_client: Any, client: Client) -> None:
    other = staff_client(role)
    for path, params in PAGES:
        assert other.get(path, params).status_code == 403, path
        response = client.get(path, params)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], path


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        (
            "/insights/reports/quarterly/",
            {"year": "2026", "quarter": "5"},
            "Ensure this value is less than or equal to 4.",
        ),
        ("/insights/reports/quarterly/", {"year": "2026"}, "This field is required."),
        ("/insights/reports/transparency/", {"year": "twenty"}, "Enter a whole number."),
        ("/insights/reports/transparency.csv", {"year": "1999"}, "Ensure this value is greater than or equal to 2000."),
    ],
)
def test_a_bad_quarter_or_year_is_refused_in_words_with_400(
    path: str, params: dict[str, str], words: str, staff_client: Any
) -> None:
    response = language(staff_client("statistician"), "en").get(path, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This report cannot be shown:" in html and words in html
    assert 'action="/insights/reports/quarterly/"' in html


def test_a_post_is_refused(staff_client: Any) -> None:
    assert staff_client("statistician").post("/insights/reports/quarterly/", QUARTER).status_code == 405


def test_the_pages_are_accessible_tables_in_words(notice: Referral, staff_client: Any) -> None:
    client = language(staff_client("statistician"), "en")
    html = client.get("/insights/reports/quarterly/", QUARTER).content.decode()
    assert "<caption" in html and '<th scope="col">' in html and '<th scope="row">' in html
    assert "Quarterly statistics, quarter 1 of 2026" in html
    assert '<th scope="row">Not recorded</th>' in html  # the site type, not an empty code
    assert "csam_baseline" not in html and "image_host" not in html  # no raw codes
    assert 'href="/insights/reports/quarterly.csv?year=2026&amp;quarter=1"' in html
    assert 'href="/insights/reports/definitions/#quarterly-site-types"' in html
    assert "Figures up to " in html  # the quarterly statistics read the rollups
    html = client.get("/insights/reports/transparency/", YEAR).content.decode()
    assert '<th scope="row" translate="no">=HYPERLINK(1)</th>' in html  # a provider's name is data
    assert '<th scope="row">Median time from notice to removal</th><td>1 d 3 h</td>' in html  # in words
    assert "<td>100 %</td>" in html
    definitions = client.get("/insights/reports/definitions/").content.decode()
    assert 'id="quarterly-site-types"' in definitions and 'id="transparency-summary"' in definitions


def test_the_pages_speak_swedish(notice: Referral, staff_client: Any) -> None:
    client = language(staff_client("statistician"), "sv")
    html = client.get("/insights/reports/quarterly/", QUARTER).content.decode()
    assert "Kvartalsstatistik, kvartal 1 2026" in html
    assert "Inte angivet" in html
    html = client.get("/insights/reports/transparency/", YEAR).content.decode()
    assert "Öppenhetsrapport om underrättelser och åtgärder 2026" in html and "Borttaget" in html
    assert "Statistikrapporter" in client.get("/insights/reports/").content.decode()


def test_the_csv_is_formula_safe_and_holds_every_table(notice: Referral, staff_client: Any) -> None:
    client = language(staff_client("statistician"), "en")
    response = client.get("/insights/reports/transparency.csv", YEAR)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="transparency-2026-01-01-2026-12-31.csv"'
    body = response.content.decode("utf-8")
    assert "'=HYPERLINK(1),NL,Netherlands,1,1,0,0" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body
    for title in ("Notices and actions", "Notices by hosting provider", "Notices by content type"):
        assert title in body
    assert "median_seconds_to_removal,Median time from notice to removal (seconds),97200" in body


def test_the_xlsx_opens_with_a_sheet_per_table_and_no_formula(notice: Referral, staff_client: Any) -> None:
    client = language(staff_client("statistician"), "en")
    response = client.get("/insights/reports/transparency.xlsx", YEAR)
    assert response["Content-Disposition"] == 'attachment; filename="transparency-2026-01-01-2026-12-31.xlsx"'
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames[:3] == ["Notices and actions", "Notices by action taken", "Notices by hosting provider"]
    providers = book["Notices by hosting provider"]
    assert providers.cell(row=3, column=1).value == "=HYPERLINK(1)"
    assert providers.cell(row=3, column=1).data_type == "s"
    assert providers.cell(row=3, column=4).value == 1
    quarterly = load_workbook(BytesIO(client.get("/insights/reports/quarterly.xlsx", QUARTER).content))
    summary = quarterly.worksheets[0]
    assert [summary.cell(row=3, column=c).value for c in (1, 3)] == ["reports", 1]


def test_each_download_is_audited(notice: Referral, staff_client: Any) -> None:
    client = staff_client("supervisor")
    client.get("/insights/reports/quarterly.csv", QUARTER)
    entry = AuditEntry.objects.filter(action="insights.exported").latest("pk")
    assert entry.object_id == "report-quarterly"
    assert entry.details["format"] == "csv" and entry.details["start"] == "2026-01-01"
