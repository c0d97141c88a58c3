"""A read-only JSON API for statisticians (docs/api.md, "Statistics API"): the key figures of a period with its
comparison periods, and each table. It is a django-ninja API with its own OpenAPI document
(`/insights/api/v1/openapi.json`). The credential is the staff session (second factor verified; a visitor who
is not signed in is sent to sign in, like every staff address); only statisticians, supervisors and
administrators get an answer. GET only. Every refusal is an RFC 9457 problem in words."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import SessionAuth

from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR, user_has_any_role
from hotline.core.errors import DomainError, PermissionRefused
from hotline.insights import definitions, exports
from hotline.insights.period_form import PeriodForm
from hotline.insights.reports_views import DEFINITIONS_PATH as REPORT_DEFINITIONS_PATH
from hotline.insights.selectors import reports, tables
from hotline.insights.selectors.figures import Period, figures
from hotline.intake.api import problem

ROLES = (STATISTICIAN, SUPERVISOR, ADMIN)
Number = int | float | None
# The tables by name, so the OpenAPI document lists them (a wrong name: 404 with the list, not a bare 422).
TableName = Enum("TableName", {name.replace("-", "_"): name for name in tables.TABLE_NAMES}, type=str)  # type: ignore[misc]


class StatisticsSession(SessionAuth):
    """The signed-in staff session, second factor verified, with a statistics role."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_verified():  # type: ignore[attr-defined]
            return None
        if not user_has_any_role(user, ROLES):
            raise PermissionRefused(_("The statistics API is for statisticians, supervisors and administrators."))
        return user


class PeriodQuery(Schema):
    unit: Literal["month", "quarter", "year", "custom"] | None = None
    year: int | None = None
    month: int | None = None
    quarter: int | None = None
    start: date | None = None
    end: date | None = None


class PeriodOut(Schema):
    start: date
    end: date
    unit: str


class FiguresOfPeriod(Schema):
    period: PeriodOut
    figures: dict[str, Number]


class FiguresOut(FiguresOfPeriod):
    definitions_version: str
    previous: FiguresOfPeriod
    year_earlier: FiguresOfPeriod


class Column(Schema):
    key: str
    heading: str


class TableOut(Schema):
    definitions_version: str
    period: PeriodOut
    name: str
    title: str
    definition: str
    columns: list[Column]
    rows: list[dict[str, Any]]


class ReportTable(Schema):
    name: str
    title: str
    definition: str
    columns: list[Column]
    rows: list[dict[str, Any]]


class ReportOut(Schema):
    definitions_version: str
    name: str
    title: str
    period: PeriodOut
    tables: list[ReportTable]


class QuarterQuery(Schema):
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)


class YearQuery(Schema):
    year: int = Field(ge=2000, le=2100)


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str


api = NinjaAPI(
    title="Hotline statistics API",
    version="1",
    description=(
        "Read-only statistics for statisticians, supervisors and administrators, with the signed-in staff "
        "session as credential. Every figure is defined at /insights/definitions/. A period is a month "
        "(unit=month&year&month), a quarter (unit=quarter&year&quarter), a year (unit=year&year) or custom days "
        "(unit=custom&start&end, ISO dates, at most three years); without parameters, the current month. "
        "Errors are RFC 9457 problems (application/problem+json)."
    ),
    urls_namespace="insights:statistics_api",
    docs_url=None,
    openapi_url="/openapi.json",
    auth=StatisticsSession(),
)
ERRORS = dict.fromkeys((400, 403), Problem)


class _BadPeriod(Exception):
    def __init__(self, reasons: str) -> None:
        self.reasons = reasons


def _period(query: PeriodQuery) -> Period:
    data = {k: str(v) for k, v in query.dict().items() if v is not None}
    form = PeriodForm(data)
    if not form.is_valid():
        raise _BadPeriod(form.error_text())
    return form.period


def _period_json(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "unit": period.unit}


def _figures_json(period: Period) -> dict[str, Any]:
    table = tables.key_figures(figures(period))
    return {"period": _period_json(period), "figures": {row[0]: row[2] for row in table.rows}}


@api.get("/figures", response={200: FiguresOut, **ERRORS}, summary="Key figures of a period and its comparisons")
def figures_view(request: HttpRequest, query: Query[PeriodQuery]) -> Any:
    period = _period(query)
    return {
        "definitions_version": definitions.DEFINITIONS_VERSION,
        **_figures_json(period),
        "previous": _figures_json(period.previous()),
        "year_earlier": _figures_json(period.year_earlier()),
    }


@api.get(
    "/tables/{name}",
    response={200: TableOut, 404: Problem, **ERRORS},
    summary="One table of the dashboard (the rows of a chart)",
)
def table_view(request: HttpRequest, name: TableName, query: Query[PeriodQuery]) -> Any:
    period = _period(query)
    table = tables.table(name.value, period)
    return {
        "definitions_version": definitions.DEFINITIONS_VERSION,
        "period": _period_json(period),
        **_table_json(table, "/insights/definitions/"),
    }


def _table_json(table: tables.Table, definitions_path: str) -> dict[str, Any]:
    return {
        "name": table.name,
        "title": table.title,
        "definition": f"{definitions_path}#{table.anchor}",
        "columns": [{"key": k, "heading": h} for k, h in zip(table.keys, table.headings, strict=True)],
        "rows": table.as_dicts(),
    }


def _report_json(request: HttpRequest, report: reports.Report) -> dict[str, Any]:
    # A filed report leaves with its reader like a download does: audited the same way (what, period, rows).
    exports.record_export(
        actor=request.user,
        what=f"report-{report.name}",
        fmt="json",
        period=report.period,
        rows=sum(len(table.rows) for table in report.tables),
    )
    return {
        "definitions_version": definitions.DEFINITIONS_VERSION,
        "name": report.name,
        "title": report.title,
        "period": _period_json(report.period),
        "tables": [_table_json(table, REPORT_DEFINITIONS_PATH) for table in report.tables],
    }


@api.get(
    "/reports/quarterly",
    response={200: ReportOut, **ERRORS},
    summary="The quarterly statistics of EU co-funded hotlines, for one quarter",
    url_name="quarterly_report",
)
def quarterly_report_view(request: HttpRequest, query: Query[QuarterQuery]) -> Any:
    return _report_json(request, reports.quarterly(query.year, query.quarter))


@api.get(
    "/reports/transparency",
    response={200: ReportOut, **ERRORS},
    summary="The yearly notice-and-action transparency report, for one year",
    url_name="transparency_report",
)
def transparency_report_view(request: HttpRequest, query: Query[YearQuery]) -> Any:
    return _report_json(request, reports.transparency(query.year))


def api_index(request: HttpRequest) -> HttpResponse:
    """The API's own address: for those who may use it, a pointer to its OpenAPI document."""
    try:
        if api.auth[0](request) is None:  # type: ignore[index]
            raise AuthenticationError
    except AuthenticationError as exc:
        return _on_unauthenticated(request, exc)
    except DomainError as exc:
        return _on_domain_error(request, exc)
    return redirect("insights:statistics_api:openapi-json")


@api.exception_handler(_BadPeriod)
def _on_bad_period(request: HttpRequest, exc: _BadPeriod) -> HttpResponse:
    return problem(400, _("The period is not valid: %(reasons)s") % {"reasons": exc.reasons})


@api.exception_handler(NinjaValidationError)
def _on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    if any(e.get("loc", ("",))[0] == "path" for e in exc.errors):  # only the table's name is in the path
        name = (request.resolver_match.kwargs.get("name", "") if request.resolver_match else "") or ""
        return problem(
            404,
            _("There is no table %(name)s. Tables: %(names)s.")
            % {"name": name, "names": ", ".join(tables.TABLE_NAMES)},
        )
    fields = sorted({str(e.get("loc", ["", "?"])[-1]) for e in exc.errors})
    if request.resolver_match and request.resolver_match.url_name in (
        "quarterly_report",
        "transparency_report",
    ):
        return problem(
            400,
            _("The year (2000 to 2100) and, for the quarterly report, the quarter (1 to 4) are needed: %(fields)s")
            % {"fields": ", ".join(fields)},
        )
    return problem(400, _("The period is not valid: %(reasons)s") % {"reasons": ", ".join(fields)})


@api.exception_handler(DomainError)
def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem(exc.status, str(exc))  # a role without statistics (403), a table that does not exist (404)


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # Like every staff address: sign in first (the staff session is the API's credential).
    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
