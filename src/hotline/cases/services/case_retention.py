"""Retention of whole cases by their outcome: not illegal, illegal and removed, illegal and not removed. A case
whose period ran out is anonymised, not deleted, so the statistics that count cases, reports and verdicts per
year stay true: URL, host, blind indexes, reporters' texts, notes and the analysts' free text go; kind, verdict,
classification, states, close reason, hosting country and times stay. Policies of hotline.core.retention."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from hotline.cases import conf
from hotline.cases.models import (
    ILLEGAL_VERDICTS,
    Assessment,
    AssessmentStatus,
    Case,
    CaseNote,
    CaseState,
    CloseReason,
    Report,
    ReportedUrl,
    ReporterMessage,
)
from hotline.cases.selectors.links import reached_none_of, reports_of_cases
from hotline.core.retention import RetentionPolicy

NOT_ILLEGAL = "not_illegal"
ILLEGAL_REMOVED = "illegal_removed"
ILLEGAL_NOT_REMOVED = "illegal_not_removed"


def _verdict() -> Subquery:
    """The case's verdict: its newest confirmed assessment's (none: never confirmed as anything)."""
    confirmed = Assessment.objects.filter(case=OuterRef("pk"), status=AssessmentStatus.CONFIRMED)
    return Subquery(confirmed.order_by("-created_at", "-pk").values("verdict")[:1])


def outcome_condition(outcome: str) -> Q:
    """Which closed cases have `outcome` (on a query annotated with `verdict`). A case closed without a confirmed
    illegal verdict counts as not illegal: nothing illegal was established."""
    illegal = Q(verdict__in=list(ILLEGAL_VERDICTS))
    if outcome == NOT_ILLEGAL:
        return ~illegal | Q(verdict__isnull=True)
    if outcome == ILLEGAL_REMOVED:
        return illegal & Q(close_reason=CloseReason.REMOVED)
    return illegal & ~Q(close_reason=CloseReason.REMOVED)


def due_cases(outcome: str, days: int, now: datetime) -> QuerySet[Case]:
    cutoff = now - timedelta(days=days)
    closed = Case.objects.filter(state=CaseState.CLOSED, state_changed_at__lte=cutoff, erased_at__isnull=True)
    return closed.annotate(verdict=_verdict()).filter(outcome_condition(outcome))


def anonymise_cases(ids: list[int], now: datetime) -> dict[str, int]:
    """Anonymise these cases (locked by the caller) and what hangs on them; reports are erased once every case
    they reached is anonymised. Returns the numbers for the audit entry."""
    Case.objects.filter(pk__in=ids).update(
        canonical_url="", url_index=None, host="", registered_domain="", url_problem="",
        claimed_by=None, claimed_until=None, erased_at=now, version=F("version") + 1,
    )  # fmt: skip
    urls = ReportedUrl.objects.filter(case_id__in=ids).update(url="", url_index="", problem="")
    notes, _counts = CaseNote.objects.filter(case_id__in=ids).delete()
    assessments = Assessment.objects.filter(case_id__in=ids).update(reasoning="", payment_indicators="", review_note="")
    kept_cases = Case.objects.filter(erased_at__isnull=True)
    reports = reports_of_cases(ids).filter(reached_none_of(kept_cases))
    report_ids = list(reports.values_list("pk", flat=True))
    erased_reports = Report.objects.filter(pk__in=report_ids).update(
        description="", where_seen="", contact="", texts_erased_at=Coalesce(F("texts_erased_at"), Value(now))
    )
    messages, _counts = ReporterMessage.objects.filter(report_id__in=report_ids).delete()
    return {"urls": urls, "notes": notes, "assessments": assessments, "reports": erased_reports, "messages": messages}


def _policy(outcome: str, period: Callable[[], int | None], setting: str, label: Any, order: int) -> RetentionPolicy:
    def due(now: datetime) -> QuerySet[Case]:
        days = period()
        assert days is not None
        return due_cases(outcome, days, now)

    def erase(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
        # Lock first (triage reopens a case under this lock), then check again which are still due.
        list(Case.objects.select_for_update().filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
        ids = list(due(now).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
        if not ids:
            return 0, {}
        numbers = anonymise_cases(ids, now)
        return len(ids), {"cases": len(ids), "case_ids": ids, **numbers, "retention_days": period()}

    return RetentionPolicy(
        name=f"cases.{outcome}",
        record_type=label,
        action=_("anonymised: URL, host, texts and notes go; verdict, kind, states and times stay"),
        setting=setting,
        unit="days",
        period=period,
        due=due,
        erase=erase,
        audit_action="cases.anonymised",
        order=order,
    )


CASES_NOT_ILLEGAL = _policy(
    NOT_ILLEGAL,
    conf.case_not_illegal_retention_days,
    "HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS",
    _("Closed cases not found illegal, and their reports"),
    20,
)
CASES_ILLEGAL_REMOVED = _policy(
    ILLEGAL_REMOVED,
    conf.case_illegal_removed_retention_days,
    "HOTLINE_CASE_ILLEGAL_REMOVED_RETENTION_DAYS",
    _("Closed cases found illegal and removed, and their reports"),
    21,
)
CASES_ILLEGAL_NOT_REMOVED = _policy(
    ILLEGAL_NOT_REMOVED,
    conf.case_illegal_not_removed_retention_days,
    "HOTLINE_CASE_ILLEGAL_NOT_REMOVED_RETENTION_DAYS",
    _("Closed cases found illegal and not removed, and their reports"),
    22,
)
