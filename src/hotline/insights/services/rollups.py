"""Keeping the statistics right: case facts from the raw tables, and day rollups from the facts.

`refresh()` (the worker, every minute) reads the change rows the database triggers wrote, makes the facts of the
cases they name again, and recounts exactly the days those cases and reports belong to. `rebuild()`
(`manage.py rebuild_rollups`) makes every fact and every day again with the same functions, so the two can never
disagree. Both are idempotent: running one twice changes nothing the second time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.cases.models import (
    Case,
    Report,
    ReportedUrl,
)
from hotline.core import audit
from hotline.insights import definitions
from hotline.insights.models import CaseDay, CaseFact, CaseTally, Change, DurationDay, ReportDay, RollupState
from hotline.insights.services.rollup_sql import (
    PARTNER_CHANNELS,
    Scope,
    facts_sql,
    local_day_sql,
    sql_literals,
    table_name,
)

BATCH = 2_000
REBUILD_BATCH = 20_000
REBUILD_CACHE_KIB = 256 * 1024

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


# --- facts (the SQL: services/rollup_sql.py) --------------------------------------------------------------
def _write_facts(scope: Scope) -> int:
    """Write the facts of the cases in `scope` (none there yet); returns how many were written."""
    sql, params = facts_sql(scope)
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
            cursor.execute(f"DELETE FROM {table_name(model)} WHERE whole_month = {flag}{where}", params)  # noqa: S608  # nosec B608


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
    report, url, fact = table_name(Report), table_name(ReportedUrl), table_name(CaseFact)
    adapt = connection.ops.adapt_datetimefield_value
    bounds = [adapt(start), adapt(end)]
    within = (str(bounds[0]), str(bounds[1])) if connection.vendor == "sqlite" else None
    # Made from model and column names and the code's own constants (_literal); the bounds are parameters.
    sql = f"""
INSERT INTO {table_name(ReportDay)} (day, whole_month, channel, partner, reports, urls, repeat_urls)
SELECT p.day, FALSE, p.channel, p.partner, COUNT(*), SUM(p.urls), SUM(p.repeat_urls)
FROM (
    SELECT {local_day_sql("r.received_at", within=within)} AS day, r.channel,
        CASE WHEN r.channel IN ({sql_literals(PARTNER_CHANNELS)}) THEN r.source_name ELSE '' END AS partner,
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
                    f"INSERT INTO {table_name(model)} ({columns}) SELECT {kept}, {month}, TRUE, {summed}"  # noqa: S608  # nosec B608
                    f" FROM {table_name(model)} WHERE whole_month = FALSE{within} GROUP BY {kept}, {month}",
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
