"""Supervision and welfare: time in assessment per analyst (exposure), assessments waiting for review, cases
overdue in their state, and each analyst's workload."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hotline.cases import conf
from hotline.cases.models import Assessment, AssessmentStatus, Case, ExposureSession
from hotline.cases.rules import Interval, exposure_level, exposure_seconds
from hotline.staff.models import StaffUser


# --- welfare ---------------------------------------------------------------------------------------
def start_of_day(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Exposure:
    analyst: Any
    minutes: int
    limit: int
    level: str  # ok, near, over


def _exposure_by_analyst(analyst_ids: Iterable[int] | None, now: datetime) -> dict[int, int]:
    since = start_of_day(now)
    cap = conf.exposure_session_cap()
    # A session started before midnight may still reach into today.
    qs = ExposureSession.objects.filter(started_at__gte=since - cap, started_at__lte=now)
    if analyst_ids is not None:
        qs = qs.filter(analyst_id__in=list(analyst_ids))
    intervals: dict[int, list[Interval]] = defaultdict(list)
    for analyst_id, started, ended in qs.values_list("analyst_id", "started_at", "ended_at"):
        intervals[analyst_id].append(Interval(started, ended))
    return {
        analyst_id: exposure_seconds(items, now=now, cap=cap, since=since) // 60
        for analyst_id, items in intervals.items()
    }


def exposure_today(*, analyst: StaffUser, now: datetime | None = None) -> Exposure:
    now = now or timezone.now()
    minutes = _exposure_by_analyst([analyst.pk], now).get(analyst.pk, 0)
    limit = conf.exposure_limit_minutes()
    return Exposure(analyst=analyst, minutes=minutes, limit=limit, level=exposure_level(minutes=minutes, limit=limit))


def assessment_in_progress(*, case: Case, analyst: StaffUser, now: datetime | None = None) -> bool:
    """Whether the analyst has begun assessing this case (the POST that claims it and starts the exposure
    clock) and neither the claim nor the session has run out: only then does the assessment page show the form."""
    now = now or timezone.now()
    holder = case.claim_holder(now)
    if holder is None or holder.pk != analyst.pk:
        return False
    return ExposureSession.objects.filter(
        analyst=analyst, case=case, ended_at=None, started_at__gt=now - conf.exposure_session_cap()
    ).exists()


def case_staff() -> QuerySet[StaffUser]:
    return (
        StaffUser.objects.filter(is_active=True, groups__name__in=["analyst", "supervisor"])
        .distinct()
        .order_by("email")
    )


def team_exposure(*, now: datetime | None = None) -> list[Exposure]:
    now = now or timezone.now()
    limit = conf.exposure_limit_minutes()
    minutes = _exposure_by_analyst(None, now)
    return [
        Exposure(
            analyst=user,
            minutes=minutes.get(user.pk, 0),
            limit=limit,
            level=exposure_level(minutes=minutes.get(user.pk, 0), limit=limit),
        )
        for user in case_staff()
    ]


# --- supervision ---------------------------------------------------------------------------------
def awaiting_review(*, limit: int = 100) -> list[Assessment]:
    return list(
        Assessment.objects.filter(status=AssessmentStatus.AWAITING_REVIEW)
        .select_related("case", "analyst")
        .order_by("created_at")[:limit]
    )


@dataclass(frozen=True)
class OverdueCase:
    case: Case
    hours_in_state: int
    limit_hours: int


def overdue_cases(*, now: datetime | None = None, limit: int = 200) -> list[OverdueCase]:
    """Cases in a state longer than HOTLINE_OVERDUE_HOURS allows (oldest first); uses case_state_age_idx."""
    now = now or timezone.now()
    found: list[OverdueCase] = []
    for state, hours in conf.overdue_hours().items():
        cutoff = now - timedelta(hours=hours)
        rows = (
            Case.objects.filter(state=state, state_changed_at__lt=cutoff)
            .select_related("claimed_by")
            .defer("canonical_url")
            .order_by("state_changed_at")[:limit]
        )
        for case in rows:
            found.append(
                OverdueCase(
                    case=case,
                    hours_in_state=int((now - case.state_changed_at).total_seconds() // 3600),
                    limit_hours=hours,
                )
            )
    found.sort(key=lambda o: o.case.state_changed_at)
    return found[:limit]


@dataclass(frozen=True)
class Workload:
    analyst: StaffUser
    claimed: int
    assessed_today: int
    assessed_7_days: int
    awaiting_review: int


def workload(*, now: datetime | None = None) -> list[Workload]:
    now = now or timezone.now()
    today = start_of_day(now)
    week = now - timedelta(days=7)
    claimed = dict(
        Case.objects.filter(claimed_until__gt=now)
        .exclude(claimed_by=None)
        .values_list("claimed_by")
        .annotate(n=Count("pk"))
        .values_list("claimed_by", "n")
    )
    recent = (
        Assessment.objects.filter(created_at__gte=week)
        .values("analyst")
        .annotate(
            week=Count("pk"),
            today=Count("pk", filter=Q(created_at__gte=today)),
            waiting=Count("pk", filter=Q(status=AssessmentStatus.AWAITING_REVIEW)),
        )
    )
    by_analyst: dict[int, dict[str, Any]] = {row["analyst"]: dict(row) for row in recent}
    return [
        Workload(
            analyst=user,
            claimed=claimed.get(user.pk, 0),
            assessed_today=by_analyst.get(user.pk, {}).get("today", 0),
            assessed_7_days=by_analyst.get(user.pk, {}).get("week", 0),
            awaiting_review=by_analyst.get(user.pk, {}).get("waiting", 0),
        )
        for user in case_staff()
    ]


def analysts_for_filter() -> list[StaffUser]:
    return list(case_staff())
