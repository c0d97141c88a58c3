"""Keeping the statistics right: case facts from the raw tables, and day rollups from the facts.

`refresh()` (the worker, every minute) reads the change rows the database triggers wrote, makes the facts of the
cases they name again, and recounts exactly the days those cases and reports belong to. `rebuild()`
(`manage.py rebuild_rollups`) makes every fact and every day again with the same functions, so the two can never
disagree. Both are idempotent: running one twice changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum, Value
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
from hotline.insights.models import CaseDay, CaseFact, CaseTally, Change, DurationDay, ReportDay, RollupState
from hotline.referrals.models import AttemptKind, DeliveryAttempt, Referral, ReferralTiming, Target

BATCH = 2_000
REBUILD_BATCH = 20_000
REBUILD_CACHE_KIB = 256 * 1024
PARTNER_CHANNELS = frozenset({Channel.NETWORK, Channel.API})
NOTICE_TARGETS = frozenset({Target.HOST_NOTICE, Target.PARTNER_HOTLINE})

Progress = Callable[[str, int, int], None]


def partner_of(channel: str, source_name: str) -> str:
    """Which partner a report came from: the partner hotline or API source, for those channels only."""
    return source_name if channel in PARTNER_CHANNELS else ""


# --- writing many rows ---------------------------------------------------------------------------------------------
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

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """The condition on `column` (an SQL column reference written by this module) and its parameters."""
        if self.low is not None:
            return f"{column} BETWEEN %s AND %s", [self.low, self.high]
        if not self.ids:
            return "1 = 0", []
        return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", list(self.ids)


FACT_COLUMNS: list[str] = [str(f.column) for f in CaseFact._meta.concrete_fields]
_CONSTANT = re.compile(r"[A-Za-z0-9_+\-/]*")


def _literal(value: str) -> str:
    """A constant of the code (a choice value, a time zone's name) as an SQL string literal. Refuses anything
    that could end the literal: the SQL below is made from model names and such constants only, never input."""
    if not _CONSTANT.fullmatch(value):
        raise ValueError(f"not an SQL constant: {value!r}")
    return f"'{value}'"


def _literals(values: Iterable[str]) -> str:
    return ", ".join(_literal(str(value)) for value in sorted(values))


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _seconds_sql(later: str, earlier: str) -> str:
    """Whole seconds from `earlier` to `later` (SQL expressions), never below 0, NULL when `later` is: int() of
    the exact difference, as Python's `int(timedelta.total_seconds())`."""
    if connection.vendor == "postgresql":
        # GREATEST ignores NULLs: the CASE keeps "not yet" NULL.
        seconds = f"FLOOR(EXTRACT(EPOCH FROM ({later}) - ({earlier})))::bigint"
        return f"CASE WHEN {later} IS NOT NULL THEN GREATEST(0, {seconds}) END"
    # SQLite keeps datetimes as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]', and its date functions round fractions
    # of a second to the millisecond (23:59:59.9999 would become the next day): whole seconds from the date
    # functions on the first 19 characters, and the microseconds from the text (character 21 on).
    epoch = "unixepoch(substr({}, 1, 19))"
    if sqlite3.sqlite_version_info < (3, 38):
        epoch = "CAST(strftime('%%s', substr({}, 1, 19)) AS INTEGER)"
    return (
        f"MAX(0, (({epoch.format(later)} - {epoch.format(earlier)}) * 1000000"
        f" + CAST(substr({later}, 21) AS INTEGER) - CAST(substr({earlier}, 21) AS INTEGER)) / 1000000)"
    )


def _bucket_sql(seconds: str) -> str:
    """definitions.bucket() in SQL, made from the same table of steps (`seconds` is a non-negative integer)."""
    branches = [
        f"WHEN {seconds} < {below} THEN {seconds} / {width} * {width}"
        for below, width in definitions.DURATION_STEPS
        if below is not None
    ]
    last = definitions.DURATION_STEPS[-1][1]
    return f"CASE {' '.join(branches)} ELSE {seconds} / {last} * {last} END"


_OFFSETS_FROM = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSETS_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=16)
def _utc_offsets(zone_key: str) -> tuple[tuple[str, int], ...]:
    """The time zone's offsets from UTC from 1970 to 2100: (the UTC moment it starts, as SQLite's text; seconds)
    each, the first starting at "" (before any moment). Found by looking at each day and, where the offset
    changed, at the second it changed (no zone changes its offset twice within a day)."""
    zone = zoneinfo.ZoneInfo(zone_key)

    def offset(epoch: int) -> int:
        shift = datetime.fromtimestamp(epoch, zone).utcoffset()
        return int(shift.total_seconds()) if shift is not None else 0

    moment, until = int(_OFFSETS_FROM.timestamp()), int(_OFFSETS_UNTIL.timestamp())
    current = offset(moment)
    periods = [("", current)]
    while moment < until:
        following = moment + 86_400
        if offset(following) != current:
            low, high = moment, following  # offset(low) is the old offset, offset(high) the new one
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            current = offset(high)
            periods.append((datetime.fromtimestamp(high, UTC).strftime("%Y-%m-%d %H:%M:%S"), current))
        moment = following
    return tuple(periods)


def _local_day_sql(moment: str, *, within: tuple[str, str] | None = None) -> str:
    """The local date (the installation's time zone) of `moment`, an SQL column reference of a datetime;
    `within`, when every moment is known to lie from one UTC text to another (SQLite), keeps only the offsets
    of that time."""
    zone = definitions.time_zone().key
    if connection.vendor == "postgresql":
        return f"(({moment}) AT TIME ZONE {_literal(zone)})::date"
    # SQLite knows no time zones: a search tree of CASEs over the zone's UTC offsets (comparing the UTC text,
    # about eight comparisons a row over 1970-2100, none for a month without a change) picks the offset to add.
    # Much faster than a Python function per row.

    def tree(periods: tuple[tuple[str, int], ...]) -> str:
        if len(periods) == 1:
            return f"'{periods[0][1]:+d} seconds'"
        middle = len(periods) // 2
        earlier, later = tree(periods[:middle]), tree(periods[middle:])
        return f"CASE WHEN {moment} < '{periods[middle][0]}' THEN {earlier} ELSE {later} END"

    periods = _utc_offsets(zone)
    if within is not None:
        start, end = within
        first = max(index for index, (begins, _offset) in enumerate(periods) if begins <= start)
        periods = tuple(period for index, period in enumerate(periods) if index >= first and period[0] < end)
    if all(offset == 0 for _begins, offset in periods):
        return f"date(substr({moment}, 1, 19))"
    # The fraction of a second is cut off first: SQLite's date functions would round it (see _seconds_sql).
    return f"date(substr({moment}, 1, 19), {tree(periods)})"


def _facts_sql(scope: Scope) -> tuple[str, list[Any]]:
    """One statement that writes the facts of the cases in `scope` (which must have none yet) from the raw tables.
    Each case's first report is its earliest received (then lowest id), through its URLs or as a situation; its
    first assessment the earliest confirmed or superseded one; its verdict, kind and nexus those of the latest
    confirmed assessment (created, then id)."""
    report, url, case, assessment = _table(Report), _table(ReportedUrl), _table(Case), _table(Assessment)
    referral, attempt, timing = _table(Referral), _table(DeliveryAttempt), _table(ReferralTiming)
    case_scope, case_params = scope.sql("c.id")
    referral_scope, referral_params = scope.sql("f.case_id")
    illegal = _literals(ILLEGAL_VERDICTS)
    partners = _literals(PARTNER_CHANNELS)
    assessed = _literals((AssessmentStatus.CONFIRMED, AssessmentStatus.SUPERSEDED))
    measures = {"assessment": "d.assessed_at", "police": "d.police_at", "removal": "d.removed_at"}
    seconds = ", ".join(f"{_seconds_sql(moment, 'd.received_at')} AS to_{name}" for name, moment in measures.items())
    within = int(definitions.REMOVED_WITHIN.total_seconds())
    selected = {
        "case_id": "d.case_id",
        "day": "d.day",
        "received_at": "d.received_at",
        "first_report_id": "d.first_report_id",
        "channel": "d.channel",
        "partner": "d.partner",
        "kind": "d.kind",
        "verdict": "d.verdict",
        "illegal": "d.illegal",
        "nexus": "d.nexus",
        "hosting_country": "d.hosting_country",
        "duplicate": "d.duplicate",
        "hash_match": "d.hash_match",
        "assessed_at": "d.assessed_at",
        "police_at": "d.police_at",
        "first_notice_at": "d.first_notice_at",
        "removed_at": "d.removed_at",
        "assessment_bucket": _bucket_sql("d.to_assessment"),
        "police_bucket": _bucket_sql("d.to_police"),
        "removal_bucket": _bucket_sql("d.to_removal"),
        "removed_fast": f"CASE WHEN d.to_removal <= {within} THEN TRUE ELSE FALSE END",
        "notices": "COALESCE(f.notices, 0)",
        "repeated_notices": "COALESCE(f.repeated_notices, 0)",
        "escalated": "COALESCE(f.escalated, 0)",
        "failures": "COALESCE(f.failures, 0)",
    }
    assert list(selected) == FACT_COLUMNS, "the SELECT must name every CaseFact column in order"
    # Made from model and column names and the code's own constants (_literal); the ids are parameters.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" or sqlite3.sqlite_version_info >= (3, 35) else ""
    sql = f"""
INSERT INTO {_table(CaseFact)} ({", ".join(connection.ops.quote_name(c) for c in FACT_COLUMNS)})
WITH base AS {materialized} (
    SELECT c.id AS case_id, c.kind AS case_kind, c.hosting_country, c.hash_list_match AS hash_match,
        c.created_at,
        CASE WHEN c.duplicate_of_id IS NOT NULL OR c.close_reason = {_literal(CloseReason.DUPLICATE)}
            THEN TRUE ELSE FALSE END AS duplicate,
        (SELECT o.id FROM (
            SELECT r.id, r.received_at FROM {url} u JOIN {report} r ON r.id = u.report_id WHERE u.case_id = c.id
            UNION ALL
            SELECT r.id, r.received_at FROM {report} r WHERE r.situation_case_id = c.id
        ) o ORDER BY o.received_at, o.id LIMIT 1) AS first_report_id,
        (SELECT a.id FROM {assessment} a
            WHERE a.case_id = c.id AND a.status = {_literal(AssessmentStatus.CONFIRMED)}
            ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS assessment_id,
        (SELECT MIN(a.created_at) FROM {assessment} a
            WHERE a.case_id = c.id AND a.status IN ({assessed})) AS assessed_at
    FROM {case} c WHERE {case_scope}
), joined AS {materialized} (
    SELECT b.case_id, b.hosting_country, b.hash_match, b.duplicate, b.first_report_id, b.assessed_at,
        COALESCE(r.received_at, b.created_at) AS received_at,
        COALESCE(r.channel, {_literal(Channel.STAFF)}) AS channel,
        CASE WHEN r.channel IN ({partners}) THEN r.source_name ELSE '' END AS partner,
        COALESCE(a.kind, b.case_kind) AS kind,
        COALESCE(a.verdict, '') AS verdict,
        CASE WHEN a.verdict IN ({illegal}) THEN TRUE ELSE FALSE END AS illegal,
        CASE WHEN a.verdict IN ({illegal}) AND (a.nexus_server OR a.nexus_victim OR a.nexus_offender)
            THEN TRUE ELSE FALSE END AS nexus,
        t.police_referred_at AS police_at, t.first_notice_at, t.removed_at
    FROM base b
    LEFT JOIN {report} r ON r.id = b.first_report_id
    LEFT JOIN {assessment} a ON a.id = b.assessment_id
    LEFT JOIN {timing} t ON t.case_id = b.case_id
), timed AS {materialized} (
    SELECT d.*, {_local_day_sql("d.received_at")} AS day, {seconds} FROM joined d
), referrals AS {materialized} (
    SELECT f.case_id,
        SUM(CASE WHEN f.target IN ({_literals(NOTICE_TARGETS)}) AND f.sent_at IS NOT NULL THEN 1 ELSE 0 END)
            AS notices,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM {attempt} x WHERE x.referral_id = f.id
            AND x.kind = {_literal(AttemptKind.REMINDER)} AND x.ok = TRUE) THEN 1 ELSE 0 END) AS repeated_notices,
        SUM(CASE WHEN f.escalated_at IS NOT NULL THEN 1 ELSE 0 END) AS escalated,
        SUM(CASE WHEN f.failed_at IS NOT NULL THEN 1 ELSE 0 END) AS failures
    FROM {referral} f WHERE {referral_scope} GROUP BY f.case_id
)
SELECT {", ".join(selected.values())}
FROM timed d LEFT JOIN referrals f ON f.case_id = d.case_id
"""  # noqa: S608  # nosec B608
    return sql, case_params + referral_params


def _write_facts(scope: Scope) -> int:
    """Write the facts of the cases in `scope` (none there yet); returns how many were written."""
    sql, params = _facts_sql(scope)
    with connection.cursor() as cursor:
        # Made from model and column names and the code's own constants (_literal), the ids as parameters.
        cursor.execute(sql, params)  # nosec B608
        return int(cursor.rowcount)


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


def _delete_rows(model: Any, *, whole_month: bool, days: list[date] | None) -> None:
    """Delete a rollup's day rows (or month rows) of these days (None: all). In SQL of its own because Django
    writes `whole_month=False` as `NOT whole_month`, which no index of (whole_month, day) can serve."""
    flag = "TRUE" if whole_month else "FALSE"
    with connection.cursor() as cursor:
        for chunk in [None] if days is None else _chunks(days, 500):
            where, params = "", []
            if chunk is not None:
                where = f" AND day IN ({', '.join(['%s'] * len(chunk))})"
                params = [connection.ops.adapt_datefield_value(day) for day in chunk]
            # The table name comes from the model, the days are parameters.
            cursor.execute(f"DELETE FROM {_table(model)} WHERE whole_month = {flag}{where}", params)  # noqa: S608  # nosec B608


def _recount_case_days(days: set[date] | None) -> None:
    if days is not None and not days:
        return
    for model in (CaseDay, CaseTally, DurationDay):
        _delete_rows(model, whole_month=False, days=None if days is None else sorted(days))
    _count_cases(days)


def _report_days_sql(start: datetime, end: datetime) -> tuple[str, list[Any]]:
    """One statement that counts the day rows of the reports received from `start` to `end` (whole local days,
    which must have none yet): reports, their URLs, and the URLs whose case had its first report in another
    report (the repeat URLs), by local day, channel and partner."""
    report, url, fact = _table(Report), _table(ReportedUrl), _table(CaseFact)
    adapt = connection.ops.adapt_datetimefield_value
    bounds = [adapt(start), adapt(end)]
    within = (str(bounds[0]), str(bounds[1])) if connection.vendor == "sqlite" else None
    # Made from model and column names and the code's own constants (_literal); the bounds are parameters.
    sql = f"""
INSERT INTO {_table(ReportDay)} (day, whole_month, channel, partner, reports, urls, repeat_urls)
SELECT p.day, FALSE, p.channel, p.partner, COUNT(*), SUM(p.urls), SUM(p.repeat_urls)
FROM (
    SELECT {_local_day_sql("r.received_at", within=within)} AS day, r.channel,
        CASE WHEN r.channel IN ({_literals(PARTNER_CHANNELS)}) THEN r.source_name ELSE '' END AS partner,
        (SELECT COUNT(*) FROM {url} u WHERE u.report_id = r.id) AS urls,
        (SELECT COUNT(*) FROM {url} u JOIN {fact} f ON f.case_id = u.case_id
            WHERE u.report_id = r.id AND f.first_report_id <> r.id) AS repeat_urls
    FROM {report} r WHERE r.received_at >= %s AND r.received_at < %s
) p
GROUP BY p.day, p.channel, p.partner
"""  # noqa: S608  # nosec B608
    return sql, bounds


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
    _delete_rows(ReportDay, whole_month=False, days=days)
    with connection.cursor() as cursor:
        for first, last in _runs(days):
            sql, params = _report_days_sql(
                definitions.day_start(first), definitions.day_start(last + timedelta(days=1))
            )
            # Made from model and column names and the code's own constants (_literal), the bounds as parameters.
            cursor.execute(sql, params)  # nosec B608


def _month_of(day: date) -> date:
    return day.replace(day=1)


# Each rollup's dimensions and summed columns: its month rows are the sums of its day rows.
MONTH_SHAPES: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {
    CaseDay: (("channel", "partner", "nexus"), tuple(CASE_SUMS)),
    CaseTally: (("dimension", "value"), ("cases",)),
    ReportDay: (("channel", "partner"), ("reports", "urls", "repeat_urls")),
    DurationDay: (("measure", "bucket"), ("cases",)),
}


def _month_sql(column: str) -> str:
    """The first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _recount_months(months: Iterable[date] | None) -> None:
    """Make the month rows of these months (first days; None: every month) again from their day rows, one
    statement per rollup."""
    firsts = None if months is None else sorted(set(months))
    if firsts is not None and not firsts:
        return
    adapt = connection.ops.adapt_datefield_value
    for chunk in [None] if firsts is None else _chunks(firsts, 200):
        within, params = "", []
        if chunk is not None:
            within = " AND (" + " OR ".join(["day BETWEEN %s AND %s"] * len(chunk)) + ")"
            for first in chunk:
                params += [adapt(first), adapt((first + timedelta(days=32)).replace(day=1) - timedelta(days=1))]
        for model, (dimensions, sums) in MONTH_SHAPES.items():
            _delete_rows(model, whole_month=True, days=chunk)
            kept = ", ".join(connection.ops.quote_name(name) for name in dimensions)
            summed = ", ".join(f"SUM({connection.ops.quote_name(name)})" for name in sums)
            columns = ", ".join(connection.ops.quote_name(name) for name in (*dimensions, "day", "whole_month", *sums))
            month = _month_sql("day")
            with connection.cursor() as cursor:
                # Made from model and column names; the days are parameters.
                cursor.execute(
                    f"INSERT INTO {_table(model)} ({columns}) SELECT {kept}, {month}, TRUE, {summed}"  # noqa: S608  # nosec B608
                    f" FROM {_table(model)} WHERE whole_month = FALSE{within} GROUP BY {kept}, {month}",
                    params,
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
    ids = sorted(case_ids)

    def facts() -> dict[int, tuple[date, int | None]]:
        found: dict[int, tuple[date, int | None]] = {}
        for chunk in _chunks(ids, BATCH):
            for case_id, day, first_report in CaseFact.objects.filter(case_id__in=chunk).values_list(
                "case_id", "day", "first_report_id"
            ):
                found[case_id] = (day, first_report)
        return found

    old = facts()
    for chunk in _chunks(ids, BATCH):
        CaseFact.objects.filter(case_id__in=chunk).delete()
        _write_facts(Scope(ids=tuple(chunk)))
    new = facts()
    days = {day for day, _first in old.values()} | {day for day, _first in new.values()}
    moved = {case_id for case_id, (_day, first) in new.items() if old.get(case_id, (None, None))[1] != first}
    moved |= set(old) - set(new)
    return days, moved


def _lock_state() -> RollupState:
    state = RollupState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        state, _created = RollupState.objects.get_or_create(pk=1)
        state = RollupState.objects.select_for_update().get(pk=1)
    return state


@contextlib.contextmanager
def _bulk_settings(*, rebuild: bool) -> Iterator[None]:
    """Database settings for the rollups' statements, for as long as they run (then the ones it had). PostgreSQL:
    no JIT compilation (its estimates for these statements are far too high, and compiling took half the time
    of a rebuild batch). SQLite, in a rebuild: a page cache of REBUILD_CACHE_KIB, since the facts are read from
    every table by index and SQLite's default cache (2 MiB) would go to the disk for most reads."""
    if connection.vendor == "postgresql":
        value = "off"
    elif connection.vendor == "sqlite" and rebuild:
        value = f"-{int(REBUILD_CACHE_KIB)}"
    else:
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('jit')")
            before = str(cursor.fetchone()[0])
            cursor.execute("SELECT set_config('jit', %s, true)", [value])
        else:
            cursor.execute("PRAGMA cache_size")
            before = str(int(cursor.fetchone()[0]))
            cursor.execute(f"PRAGMA cache_size = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('jit', %s, true)", [before])
            else:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")


def refresh(*, batch: int = BATCH) -> int:
    """Apply every pending change. Returns how many change rows were applied."""
    applied = 0
    while True:
        with transaction.atomic(), _bulk_settings(rebuild=False):
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
    with transaction.atomic(), _bulk_settings(rebuild=True):
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
            done += _write_facts(Scope(low=ids[0], high=ids[-1]))
            last = ids[-1]
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
        report("months", 0, 1)
        _recount_months(None)
        report("months", 1, 1)
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
