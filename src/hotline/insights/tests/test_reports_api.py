"""The two filed reports in the statistics API: the same tables as the pages and downloads, as JSON; only the
statistics roles; a bad quarter or year refused in words; each answer audited like a download; in the OpenAPI
document."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotline.core.models import AuditEntry
from hotline.insights.selectors import reports
from hotline.insights.tests.test_reports_pages import QUARTER, YEAR, notice  # noqa: F401  (a fixture)
from hotline.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_the_quarterly_report_is_the_pages_tables_as_json(notice: Referral, staff_client: Any) -> None:  # noqa: F811
    body = staff_client("statistician").get("/insights/api/v1/reports/quarterly", QUARTER).json()
    expected = reports.quarterly(2026, 1)
    assert body["name"] == "quarterly"
    assert body["period"] == {"start": "2026-01-01", "end": "2026-03-31", "unit": "quarter"}
    assert [t["name"] for t in body["tables"]] == [t.name for t in expected.tables]
    summary = {row["code"]: row["value"] for row in body["tables"][0]["rows"]}
    assert summary["reports"] == 1 and summary["csam"] == 1
    assert body["tables"][0]["definition"] == "/insights/reports/definitions/#quarterly-summary"


def test_the_transparency_report_keeps_names_as_recorded(notice: Referral, staff_client: Any) -> None:  # noqa: F811
    body = staff_client("supervisor").get("/insights/api/v1/reports/transparency", YEAR).json()
    providers = next(t for t in body["tables"] if t["name"] == "transparency-providers")
    # JSON is data, never a spreadsheet formula: the name as recorded (the CSV neutralises it; tested there).
    assert [(row["provider"], row["country_code"]) for row in providers["rows"]] == [("=HYPERLINK(1)", "NL")]


def test_each_answer_is_audited_like_a_download(notice: Referral, staff_client: Any) -> None:  # noqa: F811
    staff_client("admin").get("/insights/api/v1/reports/transparency", YEAR)
    entry = AuditEntry.objects.filter(action="insights.exported").latest("pk")
    assert entry.object_id == "report-transparency"
    assert entry.details == {
        "format": "json",
        "start": "2026-01-01",
        "end": "2026-12-31",
        "rows": entry.details["rows"],
    }
    assert entry.details["rows"] > 0


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/insights/api/v1/reports/quarterly", {"year": "2026", "quarter": "5"}),
        ("/insights/api/v1/reports/quarterly", {"year": "2026"}),
        ("/insights/api/v1/reports/transparency", {"year": "1066"}),
        ("/insights/api/v1/reports/transparency", {"year": "next"}),
    ],
)
def test_a_bad_quarter_or_year_is_a_problem_in_words(path: str, params: dict[str, str], staff_client: Any) -> None:
    client = staff_client("statistician")
    client.cookies["hotline_language"] = "en"
    response = client.get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "year (2000 to 2100)" in response.json()["detail"]
    assert not AuditEntry.objects.filter(action="insights.exported").exists()


def test_other_roles_are_refused_and_visitors_sign_in(staff_client: Any, client: Client) -> None:
    assert staff_client("analyst").get("/insights/api/v1/reports/transparency", YEAR).status_code == 403
    response = client.get("/insights/api/v1/reports/quarterly", QUARTER)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_the_reports_are_in_the_openapi_document(client: Client) -> None:
    spec = client.get("/insights/api/v1/openapi.json").json()
    for path in ("/insights/api/v1/reports/quarterly", "/insights/api/v1/reports/transparency"):
        operation = spec["paths"][path]["get"]
        assert {"200", "400", "403"} <= set(operation["responses"])
        assert "post" not in spec["paths"][path]
