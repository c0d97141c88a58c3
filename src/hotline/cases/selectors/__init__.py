"""Reads about cases, one module per page or question; every public name is re-exported here, so
`from hotline.cases import selectors` and `selectors.<name>` keep working for callers in every app.

- queue.py: the analysts' queue (keyset pages) and the rows of a case table
- search.py: finding cases by case number, receipt code, URL or domain
- case_page.py: the case page (reports, timeline, current assessment, other apps' panels)
- supervision.py: exposure (welfare), reviews waiting, overdue cases, workload
- links.py: which reports reached which cases (reports_of_cases, cases_of_reports), for every app
- hosts.py: the facts cases keeps of a host (HostFacts)
"""

from hotline.cases.selectors.case_page import (
    CasePage,
    TimelineEntry,
    case_page,
    case_reports,
    current_assessment,
    report_hashes,
    reporter_classifications,
)
from hotline.cases.selectors.hosts import host_facts
from hotline.cases.selectors.links import cases_of_reports, reached_none_of, reports_of_cases
from hotline.cases.selectors.queue import (
    QUEUE_VALUES,
    CaseRow,
    QueueFilters,
    QueueItem,
    QueuePage,
    case_rows,
    immediate_danger_cases,
    level_labels,
    next_case_id,
    queue_items,
    queue_page,
)
from hotline.cases.selectors.search import SearchResult, search_cases
from hotline.cases.selectors.supervision import (
    Exposure,
    OverdueCase,
    Workload,
    analysts_for_filter,
    assessment_in_progress,
    awaiting_review,
    case_staff,
    exposure_today,
    overdue_cases,
    start_of_day,
    team_exposure,
    workload,
)

__all__ = [
    "QUEUE_VALUES",
    "CasePage",
    "CaseRow",
    "Exposure",
    "OverdueCase",
    "QueueFilters",
    "QueueItem",
    "QueuePage",
    "SearchResult",
    "TimelineEntry",
    "Workload",
    "analysts_for_filter",
    "assessment_in_progress",
    "awaiting_review",
    "case_page",
    "case_reports",
    "case_rows",
    "case_staff",
    "cases_of_reports",
    "current_assessment",
    "exposure_today",
    "host_facts",
    "immediate_danger_cases",
    "level_labels",
    "next_case_id",
    "overdue_cases",
    "queue_items",
    "queue_page",
    "reached_none_of",
    "report_hashes",
    "reporter_classifications",
    "reports_of_cases",
    "search_cases",
    "start_of_day",
    "team_exposure",
    "workload",
]
