"""Downloads of the statistics tables: formula-safe CSV, XLSX that opens, role checks, bad periods, the API."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from hotline.insights import exports
from hotline.insights.selectors.figures import month
from hotline.insights.selectors.tables import Table

pytestmark = pytest.mark.django_db

PERIOD = {"unit": "month", "year": "2026", "month": "3"}


def _table() -> Table:
    return Table("reports-by-partner", "Reports by partner", ["Partner", "Number"], [["=HYPERLINK(1)", 3]])


def test_csv_neutralises_a_partner_name_that_starts_a_formula() -> None:
    body = exports.render_csv([_table()], period=month(2026, 3)).decode("utf-8")
    assert "'=HYPERLINK(1),3" in body
    assert "\n=HYPERLINK" not in body


def test_xlsx_opens_with_headings_and_values_and_no_formula() -> None:
    book = load_workbook(BytesIO(exports.render_xlsx([_table()], period=month(2026, 3))))
    sheet = book.active
    assert [c.value for c in sheet[2]] == ["Partner", "Number"]
    assert sheet.cell(row=3, column=1).value == "=HYPERLINK(1)"
    assert sheet.cell(row=3, column=1).data_type == "s"
    assert sheet.cell(row=3, column=2).value == 3


def test_a_statistician_downloads_each_format_as_an_attachment(staff_client: Any) -> None:
    client = staff_client("statistician")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/insights/export/key-figures.{fmt}", PERIOD)
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="key-figures-2026-03-01-2026-03-31.{fmt}"'
    assert client.get("/insights/export/", PERIOD).status_code == 200


def test_roles_and_bad_periods(staff_client: Any, client: Any) -> None:
    assert staff_client("analyst").get("/insights/export/key-figures.csv", PERIOD).status_code == 403
    assert client.get("/insights/export/key-figures.csv", PERIOD).status_code == 302
    bad = staff_client("statistician").get("/insights/export/key-figures.csv", {"unit": "month", "month": "13"})
    assert bad.status_code == 400


def test_the_api_answers_json_and_problems(staff_client: Any) -> None:
    client = staff_client("statistician")
    body = client.get("/insights/api/v1/figures", PERIOD).json()
    assert body["period"] == {"start": "2026-03-01", "end": "2026-03-31", "unit": "month"}
    assert body["figures"]["reports"] == 0
    table = client.get("/insights/api/v1/tables/verdicts", PERIOD).json()
    assert [c["key"] for c in table["columns"]] == ["code", "name", "count"]
    bad = client.get("/insights/api/v1/figures", {"unit": "quarter", "quarter": "5"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert client.get("/insights/api/v1/tables/nothing", PERIOD).status_code == 404
    assert staff_client("analyst").get("/insights/api/v1/figures", PERIOD).status_code == 403


def test_the_api_has_a_public_openapi_document_that_describes_it(client: Any) -> None:
    document = client.get("/insights/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["info"]["title"] == "Hotline statistics API"
    assert set(spec["paths"]) == {
        "/insights/api/v1/figures",
        "/insights/api/v1/tables/{name}",
        "/insights/api/v1/reports/quarterly",
        "/insights/api/v1/reports/transparency",
    }
    figures_get = spec["paths"]["/insights/api/v1/figures"]["get"]
    assert {p["name"] for p in figures_get["parameters"]} == {"unit", "year", "month", "quarter", "start", "end"}
    assert {"200", "400", "403"} <= set(figures_get["responses"])
    assert "404" in spec["paths"]["/insights/api/v1/tables/{name}"]["get"]["responses"]
    assert "post" not in spec["paths"]["/insights/api/v1/figures"]  # read-only


def test_the_api_refuses_writes_and_wrong_types_in_words(staff_client: Any) -> None:
    client = staff_client("statistician")
    assert client.post("/insights/api/v1/figures", PERIOD).status_code == 405
    bad = client.get("/insights/api/v1/figures", {"unit": "decade"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert "unit" in bad.json()["detail"]
    missing = client.get("/insights/api/v1/tables/nothing", PERIOD)
    assert missing["Content-Type"] == "application/problem+json" and "verdicts" in missing.json()["detail"]
