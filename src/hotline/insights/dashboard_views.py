"""The statistics dashboard, its charts (SVG images, each its own GET) and the definitions pages (staff and
public). Thin: read the period, call the selectors, render."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR, public, staff_required
from hotline.insights import charts, definitions
from hotline.insights.definitions import definition_url
from hotline.insights.definitions_page import definitions_html
from hotline.insights.period_form import UNITS, PeriodForm, period_params
from hotline.insights.selectors import dashboard as dashboard_selectors
from hotline.insights.selectors import tables
from hotline.insights.selectors.figures import figures

STATISTICS_ROLES = (STATISTICIAN, SUPERVISOR, ADMIN)


def _table_context(table: tables.Table) -> dict[str, object]:
    """A data table for a person: the columns of codes (for machine readers of the exports) left out."""
    keep = [i for i, key in enumerate(table.keys) if key != "code"] if table.keys else list(range(len(table.headings)))
    return {
        "title": table.title,
        "headings": [table.headings[i] for i in keep],
        "rows": [[row[i] for i in keep] for row in table.rows],
        "definition": definition_url(table.anchor or "reports"),
    }


def _form_context(request: HttpRequest, form: PeriodForm) -> dict[str, object]:
    """The period form's choices and what it shows as chosen: the period shown, or what was sent if refused."""
    if form.is_valid():
        period = form.period
        selected = {
            "unit": period.unit,
            "year": str(period.start.year),
            "month": str(period.start.month),
            "quarter": str((period.start.month - 1) // 3 + 1),
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        }
    else:
        selected = {key: request.GET.get(key, "") for key in ("unit", "year", "month", "quarter", "from", "to")}
    return {
        "form": form,
        "selected": selected,
        "units": UNITS,
        "quarters": range(1, 5),
        "months": [(number, date_format(date(2000, number, 1), "F")) for number in range(1, 13)],
        "definitions_path": definitions.STAFF_DEFINITIONS_PATH,
    }


@staff_required(*STATISTICS_ROLES)
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "insights/dashboard/dashboard.html",
            {**_form_context(request, form), "refusal": form.error_text()},
            status=400,
        )
    period = form.period
    shown = dashboard_selectors.dashboard(period)
    query = urlencode(period_params(period))
    built = {table.name: table for table in tables.dashboard_tables(period, of=shown.figures)}
    chart_list = [
        {
            "name": chart.name,
            "title": str(chart.title),
            "src": f"/insights/charts/{chart.name}.svg?{query}",
            "width": charts.WIDTH,
            "height": charts.HEIGHT,
            "table": _table_context(built[chart.table]),
        }
        for chart in charts.CHARTS.values()
    ]
    extra_tables = [_table_context(built[name]) for name in ("reports-by-channel", "nexus-by-partner")]
    return render(
        request,
        "insights/dashboard/dashboard.html",
        {
            **_form_context(request, form),
            "dashboard": shown,
            "labels": {
                "period": dashboard_selectors.period_label(shown.period),
                "year_earlier": dashboard_selectors.period_label(shown.year_earlier),
                "previous": dashboard_selectors.period_label(shown.previous),
            },
            "charts": chart_list,
            "extra_tables": extra_tables,
        },
    )


@staff_required(*STATISTICS_ROLES)
@require_GET
def chart_svg(request: HttpRequest, name: str) -> HttpResponse:
    if name not in charts.CHARTS:
        raise Http404("No such chart.")
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.error_text(), status=400, content_type="text/plain; charset=utf-8")
    svg = charts.render(name, figures(form.period))
    response = HttpResponse(svg.text, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = svg.policy  # the page's policy is not the image's (CSPMiddleware)
    return response


@staff_required(*STATISTICS_ROLES)
@require_GET
def staff_definitions(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/dashboard/definitions.html", {"definitions": definitions_html()})


@public
@require_GET
def public_definitions(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/dashboard/public_definitions.html", {"definitions": definitions_html()})
