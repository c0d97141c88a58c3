"""The two ready-made reports (quarterly statistics, yearly notice-and-action transparency report): a page to
choose one, each report as a page and as CSV and XLSX downloads, and the definitions of their figures. Thin:
read the quarter or the year, call selectors.reports, render; every view is a GET that changes nothing but the
audit entry a download leaves, as every export of Hotline does."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR, staff_required
from hotline.insights import exports
from hotline.insights.definitions_page import definitions_html
from hotline.insights.selectors import reports
from hotline.insights.selectors.dashboard import counted_up_to, format_count, format_duration, format_share
from hotline.insights.selectors.tables import Table

STATISTICS_ROLES = (STATISTICIAN, SUPERVISOR, ADMIN)
FORMATS = {"csv": exports.CSV_TYPE, "xlsx": exports.XLSX_TYPE}
DEFINITIONS_PATH = "/insights/reports/definitions/"
DEFINITIONS_SOURCE = Path(settings.REPO_DIR) / "docs" / "statistics-reports.md"
# Columns a person does not need on the page (the downloads keep them for machine readers).
CODE_KEYS = frozenset({"code", "country_code"})
# Columns holding names as they were recorded (a provider, a partner hotline): data, not words to translate.
NAME_KEYS = frozenset({"provider", "partner"})
# The medians are whole seconds in the downloads and durations in words on the page: their labels say so.
PAGE_LABELS = {
    "median_seconds_to_removal": _("Median time from notice to removal"),
    "median_seconds_to_action": _("Median time from notice to action, removed or not"),
}


class QuarterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


def _form(name: str, request: HttpRequest) -> QuarterForm | YearForm:
    return QuarterForm(request.GET) if name == reports.QUARTERLY else YearForm(request.GET)


def _build(name: str, form: QuarterForm | YearForm) -> reports.Report:
    if name == reports.QUARTERLY:
        return reports.quarterly(form.cleaned_data["year"], form.cleaned_data["quarter"])
    return reports.transparency(form.cleaned_data["year"])


def _shown(code: str, key: str, value: object) -> str:
    """A cell in words for a person: shares as percentages, times as durations, counts in the language's way."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if key == "share" or code.endswith("_share"):
        return format_share(value)
    if code.startswith("median_seconds"):
        return format_duration(value)
    return format_count(int(value))


def _table_context(table: Table) -> dict[str, object]:
    keep = [i for i, key in enumerate(table.keys) if key not in CODE_KEYS]
    not_recorded = gettext("Not recorded")
    code_column = table.keys.index("code") if "code" in table.keys else None
    rows = []
    for row in table.rows:
        code = str(row[code_column]) if code_column is not None else ""
        cells = []
        for i in keep:
            text = _shown(code, table.keys[i], row[i])
            if table.keys[i] == "figure" and code in PAGE_LABELS:
                text = str(PAGE_LABELS[code])
            # A name as recorded is data; "Not recorded" in its place is a word like every other.
            cells.append({"text": text, "name": table.keys[i] in NAME_KEYS and text != not_recorded})
        rows.append(cells)
    return {
        "name": table.name,
        "title": table.title,
        "headings": [table.headings[i] for i in keep],
        "rows": rows,
        "definition": f"{DEFINITIONS_PATH}#{table.anchor}",
    }


def _choices() -> dict[str, object]:
    today = timezone.localdate()
    this_quarter = (today.month - 1) // 3 + 1
    last_quarter = (today.year, this_quarter - 1) if this_quarter > 1 else (today.year - 1, 4)
    return {
        "years": [today.year - n for n in range(0, 6)],
        "quarters": range(1, 5),
        "default_quarter": {"year": last_quarter[0], "quarter": last_quarter[1]},
        "default_year": today.year - 1,
        "definitions_path": DEFINITIONS_PATH,
    }


@staff_required(*STATISTICS_ROLES)
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/reports/index.html", _choices())


def _refused(request: HttpRequest, name: str, form: forms.Form) -> HttpResponse:
    context = {**_choices(), "refused": name, "errors": [str(e) for errors in form.errors.values() for e in errors]}
    return render(request, "insights/reports/index.html", context, status=400)


@staff_required(*STATISTICS_ROLES)
@require_GET
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    if name not in (reports.QUARTERLY, reports.TRANSPARENCY):
        raise Http404
    form = _form(name, request)
    if not form.is_valid():
        return _refused(request, name, form)
    report = _build(name, form)
    query = urlencode(form.cleaned_data)
    return render(
        request,
        "insights/reports/report.html",
        {
            "report": report,
            "tables": [_table_context(table) for table in report.tables],
            "csv": f"/insights/reports/{name}.csv?{query}",
            "xlsx": f"/insights/reports/{name}.xlsx?{query}",
            "definitions_path": DEFINITIONS_PATH,
            # The quarterly statistics read the rollups; the transparency report reads the referrals themselves.
            "counted_up_to": counted_up_to() if name == reports.QUARTERLY else None,
        },
    )


@staff_required(*STATISTICS_ROLES)
@require_GET
def report_download(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if name not in (reports.QUARTERLY, reports.TRANSPARENCY) or fmt not in FORMATS:
        raise Http404
    form = _form(name, request)
    if not form.is_valid():
        return _refused(request, name, form)
    report = _build(name, form)
    render_file = exports.render_csv if fmt == "csv" else exports.render_xlsx
    body = render_file(report.tables, period=report.period)
    exports.record_export(
        actor=request.user,
        what=f"report-{name}",
        fmt=fmt,
        period=report.period,
        rows=sum(len(table.rows) for table in report.tables),
    )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    filename = f"{name}-{report.period.start}-{report.period.end}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required(*STATISTICS_ROLES)
@require_GET
def report_definitions(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/reports/definitions.html", {"definitions": definitions_html(DEFINITIONS_SOURCE)})
