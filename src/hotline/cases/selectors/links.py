"""Which reports reached which cases: the one formulation of that link, for every app.

A report reaches a case through one of its URLs (ReportedUrl.case) or, when it has no URL, as the situation
report of a case of its own (Report.situation_case). Both functions answer with a query (no duplicates, no
order: add your own) whose condition is `pk IN (<the URL links> UNION ALL <the situation links>)`: each half
is an index range read, so a case page or a receipt's status costs the same at a million reports. (An OR of
the two, or a join over both relations, makes PostgreSQL read every report.) The result can be locked
(select_for_update), aggregated and filtered further.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from hotline.cases.models import Case, Report, ReportedUrl

Cases = Case | int | Iterable[int] | QuerySet[Case]
Reports = Report | int | Iterable[int] | QuerySet[Report]


def _members(value: Any, model: type[Case] | type[Report]) -> Any:
    """What an `__in` lookup takes: a query stays a subquery; one object or id becomes a list of one."""
    if isinstance(value, model):
        return [value.pk]
    if isinstance(value, int):
        return [value]
    return value if isinstance(value, QuerySet) else list(value)


def reports_of_cases(cases: Cases) -> QuerySet[Report]:
    """Every report that reached these cases (a case, an id, ids, or a query of cases)."""
    members = _members(cases, Case)
    by_url = ReportedUrl.objects.filter(case__in=members).order_by().values("report_id")
    by_situation = Report.objects.filter(situation_case__in=members).order_by().values("pk")
    return Report.objects.filter(pk__in=by_url.union(by_situation, all=True))


def cases_of_reports(reports: Reports) -> QuerySet[Case]:
    """Every case these reports reached (a report, an id, ids, or a query of reports)."""
    members = _members(reports, Report)
    by_url = ReportedUrl.objects.filter(report__in=members, case__isnull=False).order_by().values("case_id")
    by_situation = (
        Report.objects.filter(pk__in=members, situation_case__isnull=False).order_by().values("situation_case_id")
    )
    return Case.objects.filter(pk__in=by_url.union(by_situation, all=True))


def reached_none_of(cases: QuerySet[Case]) -> Q:
    """A condition on reports: the report reached none of `cases`. For `cases` that are most of them (retention:
    every case not closed long enough), where PostgreSQL answers this form with an anti-join and a
    `NOT IN (<union>)` would look up each report in the whole union."""
    return ~Q(urls__case__in=cases) & ~Q(situation_case__in=cases)
