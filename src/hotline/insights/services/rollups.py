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

from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
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
from hotline.insights.models import CaseDay, CaseFact, CaseTally, Change, DurationDay, ReportDay, RollupState
from hotline.referrals.models import AttemptKind, DeliveryAttempt, Referral, ReferralTiming, Target

BATCH = 2_000
REBUILD_BATCH = 20_000
PARTNER_CHANNELS = frozenset({Channel.NETWORK, Channel.API})
NOTICE_TARGETS = frozenset({Target.HOST_NOTICE, Target.PARTNER_HOTLINE})

Progress = Callable[[str, int, int], None]


def partner_of(channel: str, source_name: str) -> str:
    """Which partner a report came from: the partner hotline or API source, for those channels only."""
    return source_name if channel in PARTNER_CHANNELS else ""


# --- writing many rows ---------------------------------------------------------------------------------------------
def _insert(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows of plain values (already adapted for the database) in one go: COPY on PostgreSQL, one
    prepared statement on SQLite. The rollups write millions of rows in a rebuild; the ORM's bulk_create
    would spend most of that time making model instances."""
    if not rows:
        return
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # Table and column names come from the models, never from input.
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # noqa: S608  # nosec B608


def _insert_select(model: Any, columns: list[str], queryset: Any) -> None:
    """INSERT INTO model (columns) SELECT <queryset>: the database counts, nothing passes through Python. The
    queryset's select list must be in `columns` order (values() fields first, then the annotations)."""
    sql, params = queryset.query.sql_with_params()
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        # The SELECT is Django's own compilation of the queryset, its values passed as parameters.
        cursor.execute(f"INSERT INTO {model._meta.db_table} ({quoted}) {sql}", params)  # nosec B608


# --- facts -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """Which cases: a list of ids (a refresh) or every id from `low` to `high` (a rebuild, batch by batch)."""

    ids: tuple[int, ...] = ()
    low: int | None = None
    high: int | None = None

    def on(self, field: str) -> dict[str, Any]:
        if self.low is not None:
            return {f"{field}__gte": self.low, f"{field}__lte": self.high}
        return {f"{field}__in": self.ids}


@dataclass
class _FirstReport:
    report_id: int
    received_at: datetime
    channel: str
    source_name: str


def _first_reports(scope: Scope) -> dict[int, _FirstReport]:
    """Each case's first report (earliest received, then lowest id), through its URLs or as a situation."""
    first: dict[int, _FirstReport] = {}

    def consider(case_id: int, report_id: int, received_at: datetime, channel: str, source_name: str) -> None:
        known = first.get(case_id)
        if known is None or (received_at, report_id) < (known.received_at, known.report_id):
            first[case_id] = _FirstReport(report_id, received_at, channel, source_name)

    for row in (
        ReportedUrl.objects.filter(**scope.on("case_id"))
        .values_list("case_id", "report_id", "report__received_at", "report__channel", "report__source_name")
        .order_by()
    ):
        consider(*row)
    for row in (
        Report.objects.filter(**scope.on("situation_case_id"))
        .values_list("situation_case_id", "id", "received_at", "channel", "source_name")
        .order_by()
    ):
        consider(*row)
    return first


def _seconds(later: datetime | None, earlier: datetime) -> int | None:
    if later is None:
        return None
    return max(0, int((later - earlier).total_seconds()))


FACT_COLUMNS: list[str] = [str(f.column) for f in CaseFact._meta.concrete_fields]


def build_facts(scope: Scope) -> list[dict[str, Any]]:
    """The facts of these cases as the raw tables say now, one dict per case keyed by CaseFact's columns
    (cases that no longer exist get none)."""
    cases = list(
        Case.objects.filter(**scope.on("pk"))
        .values_list(
            "id", "kind", "close_reason", "hosting_country", "duplicate_of_id", "hash_list_match", "created_at"
        )
        .order_by()
    )
    if not cases:
        return []
    first = _first_reports(scope)

    latest: dict[int, tuple[Any, ...]] = {}
    assessed_at: dict[int, datetime] = {}
    for row in (
        Assessment.objects.filter(
            **scope.on("case_id"), status__in=(AssessmentStatus.CONFIRMED, AssessmentStatus.SUPERSEDED)
        )
        .order_by("case_id", "created_at", "id")
        .values_list(
            "case_id", "status", "verdict", "kind", "nexus_server", "nexus_victim", "nexus_offender", "created_at"
        )
    ):
        case_id = row[0]
        assessed_at.setdefault(case_id, row[7])
        if row[1] == AssessmentStatus.CONFIRMED:
            latest[case_id] = row  # the last confirmed one wins (a reassessment supersedes the earlier)

    timings = {
        row[0]: row
        for row in ReferralTiming.objects.filter(**scope.on("case_id"))
        .values_list("case_id", "police_referred_at", "first_notice_at", "removed_at")
        .order_by()
    }
    notices: dict[int, int] = defaultdict(int)
    escalated: dict[int, int] = defaultdict(int)
    failures: dict[int, int] = defaultdict(int)
    for case_id, target, sent_at, failed_at, escalated_at in (
        Referral.objects.filter(**scope.on("case_id"))
        .values_list("case_id", "target", "sent_at", "failed_at", "escalated_at")
        .order_by()
    ):
        if target in NOTICE_TARGETS and sent_at is not None:
            notices[case_id] += 1
        if escalated_at is not None:
            escalated[case_id] += 1
        if failed_at is not None:
            failures[case_id] += 1
    repeated: dict[int, int] = defaultdict(int)
    for case_id, _referral in (
        DeliveryAttempt.objects.filter(**scope.on("referral__case_id"), kind=AttemptKind.REMINDER, ok=True)
        .values_list("referral__case_id", "referral_id")
        .order_by()
        .distinct()
    ):
        repeated[case_id] += 1

    within = definitions.REMOVED_WITHIN.total_seconds()
    facts = []
    for case_id, kind, close_reason, hosting_country, duplicate_of_id, hash_match, created_at in cases:
        report = first.get(case_id)
        received_at = report.received_at if report else created_at
        assessment = latest.get(case_id)
        verdict = assessment[2] if assessment else ""
        illegal = verdict in ILLEGAL_VERDICTS
        nexus = bool(illegal and assessment and (assessment[4] or assessment[5] or assessment[6]))
        timing = timings.get(case_id)
        first_assessed = assessed_at.get(case_id)
        police_at = timing[1] if timing else None
        removed_at = timing[3] if timing else None
        to_assessment = _seconds(first_assessed, received_at)
        to_police = _seconds(police_at, received_at)
        to_removal = _seconds(removed_at, received_at)
        facts.append(
            {
                "case_id": case_id,
                "day": definitions.local_day(received_at),
                "received_at": received_at,
                "first_report_id": report.report_id if report else None,
                "channel": report.channel if report else Channel.STAFF,
                "partner": partner_of(report.channel, report.source_name) if report else "",
                "kind": assessment[3] if assessment else kind,
                "verdict": verdict,
                "illegal": illegal,
                "nexus": nexus,
                "hosting_country": hosting_country or "",
                "duplicate": duplicate_of_id is not None or close_reason == CloseReason.DUPLICATE,
                "hash_match": bool(hash_match),
                "assessed_at": first_assessed,
                "police_at": police_at,
                "first_notice_at": timing[2] if timing else None,
                "removed_at": removed_at,
                "assessment_bucket": None if to_assessment is None else definitions.bucket(to_assessment),
                "police_bucket": None if to_police is None else definitions.bucket(to_police),
                "removal_bucket": None if to_removal is None else definitions.bucket(to_removal),
                "removed_fast": to_removal is not None and to_removal <= within,
                "notices": notices[case_id],
                "repeated_notices": repeated[case_id],
                "escalated": escalated[case_id],
                "failures": failures[case_id],
            }
        )
    return facts


_DATETIME_COLUMNS = frozenset({"received_at", "assessed_at", "police_at", "first_notice_at", "removed_at"})


def _store_facts(facts: list[dict[str, Any]]) -> None:
    ops = connection.ops

    def moment(value: Any) -> Any:
        return None if value is None else ops.adapt_datetimefield_value(value)

    adapters = [
        moment if column in _DATETIME_COLUMNS else ops.adapt_datefield_value if column == "day" else None
        for column in FACT_COLUMNS
    ]
    pairs = list(zip(FACT_COLUMNS, adapters, strict=True))
    rows = [
        tuple(adapt(fact[column]) if adapt else fact[column] for column, adapt in pairs)  # type: ignore[operator]
        for fact in facts
    ]
    _insert(CaseFact, FACT_COLUMNS, rows)


# --- day and month rollups -----------------------------------------------------------------------------------------
CASE_DIMENSIONS = ("day", "channel", "partner", "nexus")
CASE_SUMS = {
    "cases": Count("case_id"),
    "assessed": Count("case_id", filter=Q(assessed_at__isnull=False)),
    "illegal": Count("case_id", filter=Q(illegal=True)),
    "duplicates": Count("case_id", filter=Q(duplicate=True)),
    "hash_matches": Count("case_id", filter=Q(hash_match=True)),
    "police": Count("case_id", filter=Q(police_at__isnull=False)),
    "noticed": Count("case_id", filter=Q(first_notice_at__isnull=False)),
    "removed": Count("case_id", filter=Q(removed_at__isnull=False)),
    "removed_within_3_days": Count("case_id", filter=Q(removed_fast=True)),
    "notices": Coalesce(Sum("notices"), 0),
    "repeated_notices": Coalesce(Sum("repeated_notices"), 0),
    "escalated": Coalesce(Sum("escalated"), 0),
    "failures": Coalesce(Sum("failures"), 0),
}
# What each tally counts: cases of each kind, assessed cases by verdict, illegal cases by hosting country.
TALLIES = (
    (CaseTally.KIND, "kind", Q()),
    (CaseTally.VERDICT, "verdict", Q(assessed_at__isnull=False) & ~Q(verdict="")),
    (CaseTally.COUNTRY, "hosting_country", Q(illegal=True)),
)
MEASURE_COLUMNS = {
    definitions.TO_ASSESSMENT: "assessment_bucket",
    definitions.TO_POLICE: "police_bucket",
    definitions.TO_REMOVAL: "removal_bucket",
}
ROLLUPS = (CaseDay, CaseTally, ReportDay, DurationDay)


def _facts_of(days: set[date] | None) -> Any:
    return CaseFact.objects.all() if days is None else CaseFact.objects.filter(day__in=days)


def _count_cases(days: set[date] | None) -> None:
    """Count the case rollups of these days (None: every day) from the facts, in the database."""
    if days is not None and not days:
        return
    chunks = [None] if days is None else [set(chunk) for chunk in _chunks(sorted(days), 500)]
    for chunk in chunks:
        facts = _facts_of(chunk)
        _insert_select(
            CaseDay,
            [*CASE_DIMENSIONS, "whole_month", *CASE_SUMS],
            facts.values(*CASE_DIMENSIONS)
            .annotate(month_flag=Value(False), **{f"n_{name}": value for name, value in CASE_SUMS.items()})
            .order_by(),
        )
        for dimension, column, condition in TALLIES:
            _insert_select(
                CaseTally,
                ["day", "value", "whole_month", "dimension", "cases"],
                facts.filter(condition)
                .values("day", column)
                .annotate(month_flag=Value(False), tally=Value(dimension), n=Count("case_id"))
                .order_by(),
            )
        for measure, column in MEASURE_COLUMNS.items():
            _insert_select(
                DurationDay,
                ["day", "bucket", "whole_month", "measure", "cases"],
                facts.filter(**{f"{column}__isnull": False})
                .values("day", column)
                .annotate(month_flag=Value(False), measure_name=Value(measure), n=Count("case_id"))
                .order_by(),
            )


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _recount_case_days(days: set[date] | None) -> None:
    if days is None:
        for model in (CaseDay, CaseTally, DurationDay):
            model.objects.filter(whole_month=False).delete()
    else:
        if not days:
            return
        for chunk in _chunks(sorted(days), 500):
            for model in (CaseDay, CaseTally, DurationDay):
                model.objects.filter(whole_month=False, day__in=chunk).delete()
    _count_cases(days)


def _report_day_rows(first: date, last: date) -> dict[tuple[date, str, str], list[int]]:
    """Reports, URLs and repeat URLs of the days `first` to `last`, by local day, channel and partner. PostgreSQL
    groups the whole run by local day itself; SQLite has no time zones, so it is asked day by day (each day's
    bounds in UTC), which is faster there than a Python function called for every row."""
    counts: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    runs: list[tuple[date, date, TruncDate | None]]
    if connection.vendor == "postgresql":
        runs = [(first, last, TruncDate("received_at", tzinfo=definitions.time_zone()))]
    else:
        runs = [(day, day, None) for day in _days(first, last)]
    repeat = Exists(CaseFact.objects.filter(case_id=OuterRef("case_id")).exclude(first_report_id=OuterRef("report_id")))
    for run_first, run_last, local_day in runs:
        start = definitions.day_start(run_first)
        end = definitions.day_start(run_last + timedelta(days=1))
        day_of = local_day if local_day is not None else Value(run_first, output_field=DateField())
        for day, channel, source_name, n in (
            Report.objects.filter(received_at__gte=start, received_at__lt=end)
            .annotate(local_day=day_of)
            .values_list("local_day", "channel", "source_name")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[(day, channel, partner_of(channel, source_name))][0] += n
        url_day = TruncDate("report__received_at", tzinfo=definitions.time_zone()) if local_day is not None else day_of
        for day, channel, source_name, is_repeat, n in (
            ReportedUrl.objects.filter(report__received_at__gte=start, report__received_at__lt=end)
            .annotate(local_day=url_day, is_repeat=repeat)
            .values_list("local_day", "report__channel", "report__source_name", "is_repeat")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row = counts[(day, channel, partner_of(channel, source_name))]
            row[1] += n
            if is_repeat:
                row[2] += n
    return counts


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _runs(days: list[date]) -> Iterable[tuple[date, date]]:
    """Sorted days as runs of consecutive days: (first, last) each."""
    first = previous = days[0]
    for day in days[1:]:
        if day != previous + timedelta(days=1):
            yield first, previous
            first = day
        previous = day
    yield first, previous


def _recount_report_days(days: Iterable[date]) -> None:
    days = sorted(set(days))
    if not days:
        return
    for chunk in _chunks(days, 500):
        ReportDay.objects.filter(whole_month=False, day__in=chunk).delete()
    rows = []
    adapt = connection.ops.adapt_datefield_value
    for first, last in _runs(days):
        for (day, channel, partner), (reports, urls, repeat_urls) in _report_day_rows(first, last).items():
            rows.append((adapt(day), False, channel, partner, reports, urls, repeat_urls))
    _insert(ReportDay, ["day", "whole_month", "channel", "partner", "reports", "urls", "repeat_urls"], rows)


def _month_of(day: date) -> date:
    return day.replace(day=1)


# Each rollup's dimensions and summed columns: its month rows are the sums of its day rows.
MONTH_SHAPES: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {
    CaseDay: (("channel", "partner", "nexus"), tuple(CASE_SUMS)),
    CaseTally: (("dimension", "value"), ("cases",)),
    ReportDay: (("channel", "partner"), ("reports", "urls", "repeat_urls")),
    DurationDay: (("measure", "bucket"), ("cases",)),
}


def _recount_months(months: Iterable[date]) -> None:
    """Make the month rows of these months again from their day rows."""
    for first in sorted(set(months)):
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for model, (dimensions, sums) in MONTH_SHAPES.items():
            model.objects.filter(whole_month=True, day=first).delete()
            _insert_select(
                model,
                [*dimensions, "day", "whole_month", *sums],
                model.objects.filter(whole_month=False, day__gte=first, day__lte=last)
                .values(*dimensions)
                .annotate(
                    month_day=Value(first, output_field=DateField()),
                    month_flag=Value(True),
                    **{f"total_{name}": Sum(name) for name in sums},
                )
                .order_by(),
            )


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
    new = build_facts(Scope(ids=tuple(sorted(case_ids))))
    CaseFact.objects.filter(case_id__in=case_ids).delete()
    _store_facts(new)
    days = {day for day, _first in old.values()} | {fact["day"] for fact in new}
    moved = {fact["case_id"] for fact in new if old.get(fact["case_id"], (None, None))[1] != fact["first_report_id"]}
    moved |= set(old) - {fact["case_id"] for fact in new}
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
            report_days = _report_days_of(report_ids)
            _recount_case_days(case_days)
            _recount_report_days(report_days)
            _recount_months({_month_of(day) for day in case_days | report_days})
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
        for model in ROLLUPS:
            model.objects.all().delete()
        total = Case.objects.count()
        done = 0
        last = 0
        while True:
            # A batch is every case id from the first to the last of the next REBUILD_BATCH: ranges read fast.
            ids = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:REBUILD_BATCH])
            if not ids:
                break
            facts = build_facts(Scope(low=ids[0], high=ids[-1]))
            _store_facts(facts)
            last = ids[-1]
            done += len(facts)
            report("cases", done, total)
        report("days", 0, 1)
        _count_cases(None)
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
        months = set(CaseDay.objects.values_list("day", flat=True).distinct())
        months |= set(ReportDay.objects.values_list("day", flat=True).distinct())
        _recount_months({_month_of(day) for day in months})
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
