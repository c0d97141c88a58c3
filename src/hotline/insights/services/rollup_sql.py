"""The SQL that makes the case facts of the statistics (services/rollups.py writes them): one INSERT … SELECT per
batch of cases, the same for a refresh (case ids) and a rebuild (an id range), with the local day of each time
(PostgreSQL: AT TIME ZONE; SQLite: a CASE over the zone's UTC offsets) and the duration buckets of
definitions.DURATION_STEPS. Everything in it comes from model and column names and the code's own constants;
the ids and times are parameters."""

from __future__ import annotations

import functools
import re
import sqlite3
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

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
from hotline.insights import definitions
from hotline.insights.models import CaseFact
from hotline.referrals.models import AttemptKind, DeliveryAttempt, Referral, ReferralTiming, Target

PARTNER_CHANNELS = frozenset({Channel.NETWORK, Channel.API})
NOTICE_TARGETS = frozenset({Target.HOST_NOTICE, Target.PARTNER_HOTLINE})


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


def sql_literal(value: str) -> str:
    """A constant of the code (a choice value, a time zone's name) as an SQL string literal. Refuses anything
    that could end the literal: the SQL below is made from model names and such constants only, never input."""
    if not _CONSTANT.fullmatch(value):
        raise ValueError(f"not an SQL constant: {value!r}")
    return f"'{value}'"


def sql_literals(values: Iterable[str]) -> str:
    return ", ".join(sql_literal(str(value)) for value in sorted(values))


def table_name(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def seconds_sql(later: str, earlier: str) -> str:
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


def bucket_sql(seconds: str) -> str:
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
def utc_offsets(zone_key: str) -> tuple[tuple[str, int], ...]:
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


def local_day_sql(moment: str, *, within: tuple[str, str] | None = None) -> str:
    """The local date (the installation's time zone) of `moment`, an SQL column reference of a datetime;
    `within`, when every moment is known to lie from one UTC text to another (SQLite), keeps only the offsets
    of that time."""
    zone = definitions.time_zone().key
    if connection.vendor == "postgresql":
        return f"(({moment}) AT TIME ZONE {sql_literal(zone)})::date"
    # SQLite knows no time zones: a search tree of CASEs over the zone's UTC offsets (comparing the UTC text,
    # about eight comparisons a row over 1970-2100, none for a month without a change) picks the offset to add.
    # Much faster than a Python function per row.

    def tree(periods: tuple[tuple[str, int], ...]) -> str:
        if len(periods) == 1:
            return f"'{periods[0][1]:+d} seconds'"
        middle = len(periods) // 2
        earlier, later = tree(periods[:middle]), tree(periods[middle:])
        return f"CASE WHEN {moment} < '{periods[middle][0]}' THEN {earlier} ELSE {later} END"

    periods = utc_offsets(zone)
    if within is not None:
        start, end = within
        first = max(index for index, (begins, _offset) in enumerate(periods) if begins <= start)
        periods = tuple(period for index, period in enumerate(periods) if index >= first and period[0] < end)
    if all(offset == 0 for _begins, offset in periods):
        return f"date(substr({moment}, 1, 19))"
    # The fraction of a second is cut off first: SQLite's date functions would round it (see _seconds_sql).
    return f"date(substr({moment}, 1, 19), {tree(periods)})"


def facts_sql(scope: Scope) -> tuple[str, list[Any]]:
    """One statement that writes the facts of the cases in `scope` (which must have none yet) from the raw tables.
    Each case's first report is its earliest received (then lowest id), through its URLs or as a situation; its
    first assessment the earliest confirmed or superseded one; its verdict, kind and nexus those of the latest
    confirmed assessment (created, then id)."""
    report, url, case, assessment = (
        table_name(Report),
        table_name(ReportedUrl),
        table_name(Case),
        table_name(Assessment),
    )
    referral, attempt, timing = table_name(Referral), table_name(DeliveryAttempt), table_name(ReferralTiming)
    case_scope, case_params = scope.sql("c.id")
    referral_scope, referral_params = scope.sql("f.case_id")
    illegal = sql_literals(ILLEGAL_VERDICTS)
    partners = sql_literals(PARTNER_CHANNELS)
    assessed = sql_literals((AssessmentStatus.CONFIRMED, AssessmentStatus.SUPERSEDED))
    measures = {"assessment": "d.assessed_at", "police": "d.police_at", "removal": "d.removed_at"}
    seconds = ", ".join(f"{seconds_sql(moment, 'd.received_at')} AS to_{name}" for name, moment in measures.items())
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
        "assessment_bucket": bucket_sql("d.to_assessment"),
        "police_bucket": bucket_sql("d.to_police"),
        "removal_bucket": bucket_sql("d.to_removal"),
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
INSERT INTO {table_name(CaseFact)} ({", ".join(connection.ops.quote_name(c) for c in FACT_COLUMNS)})
WITH base AS {materialized} (
    SELECT c.id AS case_id, c.kind AS case_kind, c.hosting_country, c.hash_list_match AS hash_match,
        c.created_at,
        CASE WHEN c.duplicate_of_id IS NOT NULL OR c.close_reason = {sql_literal(CloseReason.DUPLICATE)}
            THEN TRUE ELSE FALSE END AS duplicate,
        (SELECT o.id FROM (
            SELECT r.id, r.received_at FROM {url} u JOIN {report} r ON r.id = u.report_id WHERE u.case_id = c.id
            UNION ALL
            SELECT r.id, r.received_at FROM {report} r WHERE r.situation_case_id = c.id
        ) o ORDER BY o.received_at, o.id LIMIT 1) AS first_report_id,
        (SELECT a.id FROM {assessment} a
            WHERE a.case_id = c.id AND a.status = {sql_literal(AssessmentStatus.CONFIRMED)}
            ORDER BY a.created_at DESC, a.id DESC LIMIT 1) AS assessment_id,
        (SELECT MIN(a.created_at) FROM {assessment} a
            WHERE a.case_id = c.id AND a.status IN ({assessed})) AS assessed_at
    FROM {case} c WHERE {case_scope}
), joined AS {materialized} (
    SELECT b.case_id, b.hosting_country, b.hash_match, b.duplicate, b.first_report_id, b.assessed_at,
        COALESCE(r.received_at, b.created_at) AS received_at,
        COALESCE(r.channel, {sql_literal(Channel.STAFF)}) AS channel,
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
    SELECT d.*, {local_day_sql("d.received_at")} AS day, {seconds} FROM joined d
), referrals AS {materialized} (
    SELECT f.case_id,
        SUM(CASE WHEN f.target IN ({sql_literals(NOTICE_TARGETS)}) AND f.sent_at IS NOT NULL THEN 1 ELSE 0 END)
            AS notices,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM {attempt} x WHERE x.referral_id = f.id
            AND x.kind = {sql_literal(AttemptKind.REMINDER)} AND x.ok = TRUE) THEN 1 ELSE 0 END) AS repeated_notices,
        SUM(CASE WHEN f.escalated_at IS NOT NULL THEN 1 ELSE 0 END) AS escalated,
        SUM(CASE WHEN f.failed_at IS NOT NULL THEN 1 ELSE 0 END) AS failures
    FROM {referral} f WHERE {referral_scope} GROUP BY f.case_id
)
SELECT {", ".join(selected.values())}
FROM timed d LEFT JOIN referrals f ON f.case_id = d.case_id
"""  # noqa: S608  # nosec B608
    return sql, case_params + referral_params
