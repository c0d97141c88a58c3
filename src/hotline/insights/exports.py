"""A table as a download: CSV (through hotline.core.csv, formula-safe, UTF-8 with a BOM) or XLSX (openpyxl; numbers
are number cells, every text is a text cell, never a formula). Each download is audited, as every export of
Hotline is."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

from hotline.core import audit
from hotline.core import csv as safe_csv
from hotline.insights.selectors.figures import Period
from hotline.insights.selectors.tables import Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def render_csv(tables: list[Table], *, period: Period) -> bytes:
    """One or more tables, each as its title line, a heading line and its rows; a blank line between tables."""
    lines = [safe_csv.BOM]
    for index, table in enumerate(tables):
        if index:
            lines.append(safe_csv.LINE_END)
        lines.append(safe_csv.format_row([table.title, f"{period.start.isoformat()} – {period.end.isoformat()}"]))
        lines.append(safe_csv.format_row(table.headings))
        lines.extend(safe_csv.format_row(row) for row in table.rows)
    return "".join(lines).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    name, n = base, 2
    while name in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _write_cell(sheet: Any, row: int, column: int, value: object) -> None:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        # Text stays text: set as a string cell, so "=1+2" is never read as a formula.
        cell.value = str(value)
        cell.data_type = TYPE_STRING
    else:
        cell.value = value


def render_xlsx(tables: list[Table], *, period: Period) -> bytes:
    """One sheet per table: the period on row 1, the headings on row 2, then the rows."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        _write_cell(sheet, 1, 1, table.title)
        _write_cell(sheet, 1, 2, f"{period.start.isoformat()} – {period.end.isoformat()}")
        for column, heading in enumerate(table.headings, start=1):
            _write_cell(sheet, 2, column, heading)
        for r, values in enumerate(table.rows, start=3):
            for column, value in enumerate(values, start=1):
                _write_cell(sheet, r, column, value)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def record_export(*, actor: Any, what: str, fmt: str, period: Period, rows: int) -> None:
    """Audit that a member of staff took statistics away (what, the format, the period; no data)."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="insights.exported",
            object_type="statistics",
            object_id=what,
            details={"format": fmt, "start": period.start.isoformat(), "end": period.end.isoformat(), "rows": rows},
        )
