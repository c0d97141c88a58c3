"""Downloads of the statistics tables (CSV, XLSX) and the page that lists them: thin views over
selectors.tables and exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR, staff_required
from hotline.insights import exports
from hotline.insights.period_form import PeriodForm, period_params
from hotline.insights.selectors import tables

STATISTICS_ROLES = (STATISTICIAN, SUPERVISOR, ADMIN)
FORMATS = {"csv": exports.CSV_TYPE, "xlsx": exports.XLSX_TYPE}


@staff_required(*STATISTICS_ROLES)
@require_GET
def export_table(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if name not in tables.BUILDERS or fmt not in FORMATS:
        raise Http404
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "insights/exports/bad_period.html", {"form": form}, status=400)
    period = form.period
    table = tables.table(name, period)
    render_file = exports.render_csv if fmt == "csv" else exports.render_xlsx
    body = render_file([table], period=period)
    exports.record_export(actor=request.user, what=name, fmt=fmt, period=period, rows=len(table.rows))
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}-{period.start}-{period.end}.{fmt}"'
    return response


@staff_required(*STATISTICS_ROLES)
@require_GET
def exports_page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "insights/exports/bad_period.html", {"form": form}, status=400)
    query = urlencode(period_params(form.period))
    rows = [(t, query) for t in tables.dashboard_tables(form.period)]
    return render(request, "insights/exports/index.html", {"form": form, "period": form.period, "tables": rows})
