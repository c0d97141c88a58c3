"""Keeping the statistics right: case facts from the raw tables, and day rollups from the facts.

`refresh()` (the worker, every minute) reads the change rows the database triggers wrote, makes the facts of the
cases they name again, and recounts exactly the days those cases and reports belong to. `rebuild()`
(`manage.py rebuild_rollups`) makes every fact and every day again with the same functions, so the two can never
disagree. Both are idempotent: running one twice changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.cases.models import (
    ILLEGAL_VERDICTS,
    Assessment,
    AssessmentStatus,
    Case,
    Channel,
    CloseReason,
    Report,
    ReportedUrl,
)
from hotline.core import audit
from hotline.insights import definitions
from hotline.insights.models import CaseDay, CaseFact, Change, DurationDay, ReportDay, RollupState
from hotline.referrals.models import AttemptKind, DeliveryAttempt, Referral, ReferralTiming, Target

BATCH = 2_000
PARTNER_CHANNELS = frozenset({Channel.NETWORK, Channel.API})
NOTICE_TARGETS = frozenset({Target.HOST_NOTICE, Target.PARTNER_HOTLINE})

Progress = Callable[[str, int, int], None]


def partner_of(channel: str, source_name: str) -> str:
    """Which partner a report came from: the partner hotline or API source, for those channels only."""
    return source_name if channel in PARTNER_CHANNELS else ""


# --- facts -----------------------------------------------------------------------------------------------------
@dataclass
class _FirstReport:
    report_id: int
    received_at: datetime
    channel: str
    source_name: str


def _first_reports(case_ids: list[int]) -> dict[int, _FirstReport]:
    """Each case's first report (earliest received, then lowest id), through its URLs or as a situation."""
    first: dict[int, _FirstReport] = {}

    def consider(case_id: int, report_id: int, received_at: datetime, channel: str, source_name: str) -> None:
        known = first.get(case_id)
        if known is None or (received_at, report_id) < (known.received_at, known.report_id):
            first[case_id] = _FirstReport(report_id, received_at, channel, source_name)

    for row in ReportedUrl.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "report_id", "report__received_at", "report__channel", "report__source_name"
    ):
        consider(*row)
    for row in Report.objects.filter(situation_case_id__in=case_ids).values_list(
        "situation_case_id", "id", "received_at", "channel", "source_name"
    ):
        consider(*row)
    return first


def _seconds(later: datetime | None, earlier: datetime) -> int | None:
    if later is None:
        return None
    return max(0, int((later - earlier).total_seconds()))


def build_facts(case_ids: Iterable[int]) -> list[CaseFact]:
    """The facts of these cases as the raw tables say now (cases that no longer exist get none)."""
    ids = list(case_ids)
    cases = {
        row["id"]: row
        for row in Case.objects.filter(pk__in=ids).values(
            "id", "kind", "close_reason", "hosting_country", "duplicate_of_id", "hash_list_match", "created_at"
        )
    }
    if not cases:
        return []
    ids = list(cases)
    first = _first_reports(ids)

    latest: dict[int, Any] = {}
    assessed_at: dict[int, datetime] = {}
    for row in (
        Assessment.objects.filter(case_id__in=ids, status__in=(AssessmentStatus.CONFIRMED, AssessmentStatus.SUPERSEDED))
        .order_by("case_id", "created_at", "id")
        .values("case_id", "status", "verdict", "kind", "nexus_server", "nexus_victim", "nexus_offender", "created_at")
    ):
        case_id = row["case_id"]
        assessed_at.setdefault(case_id, row["created_at"])
        if row["status"] == AssessmentStatus.CONFIRMED:
            latest[case_id] = row  # the last confirmed one wins (a reassessment supersedes the earlier)

    timings = {
        row["case_id"]: row
        for row in ReferralTiming.objects.filter(case_id__in=ids).values(
            "case_id", "police_referred_at", "first_notice_at", "removed_at"
        )
    }
    notices: dict[int, int] = defaultdict(int)
    escalated: dict[int, int] = defaultdict(int)
    failures: dict[int, int] = defaultdict(int)
    for case_id, target, sent_at, failed_at, escalated_at in Referral.objects.filter(case_id__in=ids).values_list(
        "case_id", "target", "sent_at", "failed_at", "escalated_at"
    ):
        if target in NOTICE_TARGETS and sent_at is not None:
            notices[case_id] += 1
        if escalated_at is not None:
            escalated[case_id] += 1
        if failed_at is not None:
            failures[case_id] += 1
    repeated: dict[int, int] = defaultdict(int)
    for case_id, _referral in (
        DeliveryAttempt.objects.filter(referral__case_id__in=ids, kind=AttemptKind.REMINDER, ok=True)
        .values_list("referral__case_id", "referral_id")
        .distinct()
    ):
        repeated[case_id] += 1

    facts = []
    for case_id, case in cases.items():
        report = first.get(case_id)
        received_at = report.received_at if report else case["created_at"]
        assessment = latest.get(case_id)
        verdict = assessment["verdict"] if assessment else ""
        illegal = verdict in ILLEGAL_VERDICTS
        nexus = bool(
            illegal
            and assessment
            and (assessment["nexus_server"] or assessment["nexus_victim"] or assessment["nexus_offender"])
        )
        timing: Any = timings.get(case_id, {})
        first_assessed = assessed_at.get(case_id)
        police_at = timing.get("police_referred_at")
        removed_at = timing.get("removed_at")
        to_assessment = _seconds(first_assessed, received_at)
        to_police = _seconds(police_at, received_at)
        to_removal = _seconds(removed_at, received_at)
        facts.append(
            CaseFact(
                case_id=case_id,
                day=definitions.local_day(received_at),
                received_at=received_at,
                first_report_id=report.report_id if report else None,
                channel=report.channel if report else Channel.STAFF,
                partner=partner_of(report.channel, report.source_name) if report else "",
                kind=assessment["kind"] if assessment else case["kind"],
                verdict=verdict,
                illegal=illegal,
                nexus=nexus,
                hosting_country=case["hosting_country"] or "",
                duplicate=case["duplicate_of_id"] is not None or case["close_reason"] == CloseReason.DUPLICATE,
                hash_match=bool(case["hash_list_match"]),
                assessed_at=first_assessed,
                police_at=police_at,
                first_notice_at=timing.get("first_notice_at"),
                removed_at=removed_at,
                assessment_bucket=None if to_assessment is None else definitions.bucket(to_assessment),
                police_bucket=None if to_police is None else definitions.bucket(to_police),
                removal_bucket=None if to_removal is None else definitions.bucket(to_removal),
                removed_fast=to_removal is not None and to_removal <= definitions.REMOVED_WITHIN.total_seconds(),
                notices=notices[case_id],
                repeated_notices=repeated[case_id],
                escalated=escalated[case_id],
                failures=failures[case_id],
            )
        )
    return facts


# --- day rollups ---------------------------------------------------------------------------------------------------
CASE_DIMENSIONS = ("day", "channel", "partner", "kind", "verdict", "hosting_country", "nexus")


def _count_cases(days: set[date] | None) -> None:
    facts = CaseFact.objects.all() if days is None else CaseFact.objects.filter(day__in=days)
    rows = facts.values(*CASE_DIMENSIONS).annotate(
        n_cases=Count("case_id"),
        n_assessed=Count("case_id", filter=Q(assessed_at__isnull=False)),
        n_illegal=Count("case_id", filter=Q(illegal=True)),
        n_duplicates=Count("case_id", filter=Q(duplicate=True)),
        n_hash=Count("case_id", filter=Q(hash_match=True)),
        n_police=Count("case_id", filter=Q(police_at__isnull=False)),
        n_noticed=Count("case_id", filter=Q(first_notice_at__isnull=False)),
        n_removed=Count("case_id", filter=Q(removed_at__isnull=False)),
        n_fast=Count("case_id", filter=Q(removed_fast=True)),
        n_notices=Coalesce(Sum("notices"), 0),
        n_repeated=Coalesce(Sum("repeated_notices"), 0),
        n_escalated=Coalesce(Sum("escalated"), 0),
        n_failures=Coalesce(Sum("failures"), 0),
    )
    CaseDay.objects.bulk_create(
        (
            CaseDay(
                **{name: row[name] for name in CASE_DIMENSIONS},
                cases=row["n_cases"],
                assessed=row["n_assessed"],
                illegal=row["n_illegal"],
                duplicates=row["n_duplicates"],
                hash_matches=row["n_hash"],
                police=row["n_police"],
                noticed=row["n_noticed"],
                removed=row["n_removed"],
                removed_within_3_days=row["n_fast"],
                notices=row["n_notices"],
                repeated_notices=row["n_repeated"],
                escalated=row["n_escalated"],
                failures=row["n_failures"],
            )
            for row in rows.order_by()
        ),
        batch_size=1_000,
    )
    measures = {
        definitions.TO_ASSESSMENT: "assessment_bucket",
        definitions.TO_POLICE: "police_bucket",
        definitions.TO_REMOVAL: "removal_bucket",
    }
    for measure, column in measures.items():
        grouped = (
            facts.filter(**{f"{column}__isnull": False}).values("day", column).annotate(n=Count("case_id")).order_by()
        )
        DurationDay.objects.bulk_create(
            (DurationDay(day=row["day"], measure=measure, bucket=row[column], cases=row["n"]) for row in grouped),
            batch_size=1_000,
        )


def _recount_case_days(days: set[date] | None) -> None:
    if days is None:
        CaseDay.objects.all().delete()
        DurationDay.objects.all().delete()
    else:
        if not days:
            return
        CaseDay.objects.filter(day__in=days).delete()
        DurationDay.objects.filter(day__in=days).delete()
    _count_cases(days)


def _report_day_rows(start: datetime, end: datetime) -> dict[tuple[str, str], list[int]]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    in_period = Q(received_at__gte=start, received_at__lt=end)
    for channel, source_name, n in (
        Report.objects.filter(in_period).values_list("channel", "source_name").annotate(n=Count("id")).order_by()
    ):
        counts[(channel, partner_of(channel, source_name))][0] += n
    repeat = Exists(CaseFact.objects.filter(case_id=OuterRef("case_id")).exclude(first_report_id=OuterRef("report_id")))
    for channel, source_name, is_repeat, n in (
        ReportedUrl.objects.filter(report__received_at__gte=start, report__received_at__lt=end)
        .annotate(is_repeat=repeat)
        .values_list("report__channel", "report__source_name", "is_repeat")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row = counts[(channel, partner_of(channel, source_name))]
        row[1] += n
        if is_repeat:
            row[2] += n
    return counts


def _recount_report_days(days: Iterable[date]) -> None:
    days = sorted(set(days))
    if not days:
        return
    ReportDay.objects.filter(day__in=days).delete()
    created = []
    for day in days:
        start = definitions.day_start(day)
        end = definitions.day_start(day + timedelta(days=1))
        for (channel, partner), (reports, urls, repeat_urls) in _report_day_rows(start, end).items():
            created.append(
                ReportDay(
                    day=day, channel=channel, partner=partner, reports=reports, urls=urls, repeat_urls=repeat_urls
                )
            )
    ReportDay.objects.bulk_create(created, batch_size=1_000)


def _report_days_of(report_ids: Iterable[int]) -> set[date]:
    ids = list(report_ids)
    days: set[date] = set()
    for start in range(0, len(ids), BATCH):
        for received_at in Report.objects.filter(pk__in=ids[start : start + BATCH]).values_list(
            "received_at", flat=True
        ):
            days.add(definitions.local_day(received_at))
    return days


def _report_ids_of_cases(case_ids: Iterable[int]) -> set[int]:
    ids = list(case_ids)
    found = set(ReportedUrl.objects.filter(case_id__in=ids).values_list("report_id", flat=True))
    found |= set(Report.objects.filter(situation_case_id__in=ids).values_list("id", flat=True))
    return found


# --- refresh and rebuild -------------------------------------------------------------------------------------------
def _replace_facts(case_ids: set[int]) -> tuple[set[date], set[int]]:
    """Make the facts of these cases again. Returns the case days touched (before and after) and the cases whose
    first report changed (their reports' repeat counts may have changed with it)."""
    old = {
        case_id: (day, first_report)
        for case_id, day, first_report in CaseFact.objects.filter(case_id__in=case_ids).values_list(
            "case_id", "day", "first_report_id"
        )
    }
    new = build_facts(case_ids)
    CaseFact.objects.filter(case_id__in=case_ids).delete()
    CaseFact.objects.bulk_create(new, batch_size=1_000)
    days = {day for day, _first in old.values()} | {fact.day for fact in new}
    moved = {fact.case_id for fact in new if old.get(fact.case_id, (None, None))[1] != fact.first_report_id}
    moved |= set(old) - {fact.case_id for fact in new}
    return days, moved


def _lock_state() -> RollupState:
    state = RollupState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        state, _created = RollupState.objects.get_or_create(pk=1)
        state = RollupState.objects.select_for_update().get(pk=1)
    return state


def refresh(*, batch: int = BATCH) -> int:
    """Apply every pending change. Returns how many change rows were applied."""
    applied = 0
    while True:
        with transaction.atomic():
            state = _lock_state()
            rows = list(Change.objects.order_by("id").values_list("id", "case_id", "report_id")[:batch])
            if not rows:
                return applied
            case_ids = {case_id for _id, case_id, _report in rows if case_id is not None}
            report_ids = {report_id for _id, _case, report_id in rows if report_id is not None}
            case_days, moved = _replace_facts(case_ids) if case_ids else (set(), set())
            if moved:
                report_ids |= _report_ids_of_cases(moved)
            _recount_case_days(case_days)
            _recount_report_days(_report_days_of(report_ids))
            Change.objects.filter(id__in=[row[0] for row in rows]).delete()
            state.version += 1
            state.refreshed_at = timezone.now()
            state.save(update_fields=["version", "refreshed_at"])
            applied += len(rows)


def rebuild(*, progress: Progress | None = None, actor: Any = None) -> int:
    """Make every fact and every day again from the raw tables. Returns the number of cases counted. Pending
    change rows are left for the next refresh, which finds nothing more to change (it is idempotent)."""
    report = progress or (lambda _phase, _done, _total: None)
    with transaction.atomic():
        state = _lock_state()
        CaseFact.objects.all().delete()
        total = Case.objects.count()
        done = 0
        last = 0
        while True:
            ids = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            CaseFact.objects.bulk_create(build_facts(ids), batch_size=1_000)
            last = ids[-1]
            done += len(ids)
            report("cases", done, total)
        report("days", 0, 1)
        _recount_case_days(None)
        ReportDay.objects.all().delete()
        first = Report.objects.order_by("received_at").values_list("received_at", flat=True).first()
        newest = Report.objects.order_by("-received_at").values_list("received_at", flat=True).first()
        if first is not None and newest is not None:
            day, end = definitions.local_day(first), definitions.local_day(newest)
            days = []
            while day <= end:
                days.append(day)
                day += timedelta(days=1)
            for index in range(0, len(days), 31):
                _recount_report_days(days[index : index + 31])
                report("days", min(index + 31, len(days)), len(days))
        state.version += 1
        state.rebuilt_at = state.refreshed_at = timezone.now()
        state.save(update_fields=["version", "rebuilt_at", "refreshed_at"])
        audit.record(
            actor=actor or "system",
            action="insights.rollups_rebuilt",
            object_type="",
            object_id="",
            details={"cases": done, "version": state.version},
        )
    return done


def data_version() -> int:
    state = RollupState.objects.filter(pk=1).first()
    return state.version if state else 0
