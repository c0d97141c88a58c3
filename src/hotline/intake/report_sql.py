"""The write of one report (report, its URLs, its triage task, and the rate-limit count) in as few
statements as the database allows, as SQL built here. It is the hot path of every public and partner report
(write_report: a measured fast path; the plain path is the ORM's save()).

* PostgreSQL: **one statement** built from data-modifying CTEs. It counts the rate event, then inserts
  the report only if the count is within the limit (and, for a partner, only while its key is not
  revoked), then its URLs and its triage task (the run cases.services.triage_run_row describes; the task
  table is hotline.core.taskqueue's). The statement is atomic by itself: one round trip,
  with no BEGIN or COMMIT of its own; a caller's transaction, if there is one, surrounds it. It is a
  server-side prepared statement (parsed and planned once per connection), with the values bound on
  the server rather than quoted into the SQL text.
* SQLite (and any other database): the same rows, written by up to four plain statements in one
  transaction. SQLite has no data-modifying CTEs, and its statements run inside this process, so the
  number of statements costs little.

The statements are built once from the models' metadata. Each value is prepared by its own field
(`get_db_prep_save`: encryption, UUIDs, dates, JSON), so a row written here is the row `Model.save()`
would write; `intake/tests/test_report_sql.py` compares them.

A refused event (over the limit) still counts, on both databases: a client over its limit stays
refused until the window ends, whatever it sends.
"""

# ruff: noqa: S608  (SQL built only from model metadata: quoted table and column names, never input)
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from hotline.cases.models import Report, ReportedUrl
from hotline.cases.services import queue_triage, triage_run_row
from hotline.core import taskqueue
from hotline.core.bulk import execute_prepared
from hotline.core.ratelimit import RateEvent, count_event_sql
from hotline.staff.models import PartnerKey


@dataclass(frozen=True)
class Outcome:
    stored: bool  # the report and everything with it were written
    count: int | None  # the rate counter after this event (None without a rate event)
    key_revoked: bool = False  # refused because the partner key was revoked (checked by the same write)


def _insert_fields(model: type[models.Model], *, skip: tuple[str, ...] = ()) -> list[Any]:
    """The fields an INSERT of `model` names: all but an auto-incremented primary key and `skip`."""
    pk = model._meta.pk
    generated = isinstance(pk, models.AutoField)  # BigAutoField included; a UUID key is sent
    return [f for f in model._meta.concrete_fields if not (f is pk and generated) and f.name not in skip]


@cache
def _fields() -> tuple[list[Any], list[Any]]:
    return _insert_fields(Report), _insert_fields(ReportedUrl, skip=("report",))


def _instance_values(obj: models.Model, fields: list[Any], connection: Any) -> list[Any]:
    """What `save()` would write for these fields of an instance (pre_save, then the field's prep)."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _row_values(values: dict[str, Any], fields: list[Any], connection: Any) -> list[Any]:
    """The same for a row given as {attname: value}; a missing value is the field's default."""
    return [
        f.get_db_prep_save(values[f.attname] if f.attname in values else f.get_default(), connection) for f in fields
    ]


def _live_key_sql(quote: Any) -> str:
    """True while the partner key with id %s exists and is not revoked (the one formulation of it)."""
    keys = quote(PartnerKey._meta.db_table)
    return f"EXISTS (SELECT 1 FROM {keys} WHERE {quote('id')} = %s AND {quote('revoked_at')} IS NULL)"  # nosec B608  # quoted model identifiers; values are %s parameters


def partner_key_is_live(key_id: int) -> bool:
    """Whether the key may still write, read now in the caller's transaction (one plain SELECT)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_live_key_sql(connection.ops.quote_name)}", [key_id])
        row = cursor.fetchone()
    return bool(row and row[0])


def _columns(fields: list[Any], quote: Any) -> str:
    return ", ".join(quote(f.column) for f in fields)


@cache
def _postgres_sql(*, rate: bool, live_key: bool, urls: int) -> str:
    """The statement for `urls` URLs (a prepared statement per URL count: at most 20, most often 1)."""
    from django.db import connection

    quote = connection.ops.quote_name
    report_fields, url_fields = _fields()
    parts, conditions, source = [], [], ""
    if rate:
        parts.append(f"counted AS ({count_event_sql()})")
        source = " FROM counted"
        conditions.append(f"counted.{quote('count')} <= %s")
    if live_key:
        conditions.append(_live_key_sql(quote))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # Casts name each value's column type, so the prepared statement's parameter types are exact.
    report_values = ", ".join(f"%s::{f.db_type(connection)}" for f in report_fields)
    parts.append(
        f"report AS (INSERT INTO {quote(Report._meta.db_table)} ({_columns(report_fields, quote)}) "
        f"SELECT {report_values}{source}{where} RETURNING {quote('id')})"
    )
    if urls:
        row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in url_fields) + ")"
        names = ", ".join(f"u{i}" for i in range(len(url_fields)))
        report_column = quote(ReportedUrl._meta.get_field("report").column)
        parts.append(
            f"urls AS (INSERT INTO {quote(ReportedUrl._meta.db_table)} ({report_column}, "  # nosec B608  # quoted model identifiers; values are %s parameters
            f"{_columns(url_fields, quote)}) SELECT report.{quote('id')}, {names} FROM report, "
            f"(VALUES {', '.join([row] * urls)}) AS u({names}))"
        )
    # The hand-off to triage: its task's run, with the id the report's INSERT returns as its argument.
    task_sql = taskqueue.insert_run_sql(connection, arg_sql=f"report.{quote('id')}", from_sql="report")
    parts.append(f"task AS ({task_sql})")
    count = f"(SELECT {quote('count')} FROM counted)" if rate else "NULL::integer"  # nosec B608  # quoted model identifiers; values are %s parameters
    return f"WITH {', '.join(parts)} SELECT {count}, (SELECT {quote('id')} FROM report)"  # nosec B608  # quoted model identifiers; values are %s parameters


def _postgres_write(
    connection: Any,
    report: Report,
    urls: list[dict[str, Any]],
    task: taskqueue.QueuedRun,
    rate: RateEvent | None,
    live_key: int | None,
) -> Outcome:
    report_fields, url_fields = _fields()
    params: list[Any] = []  # in the order of the placeholders in the statement
    if rate is not None:
        params += [rate.key, timezone.now() + timedelta(seconds=rate.ttl_seconds)]
    params += _instance_values(report, report_fields, connection)
    if rate is not None:
        params.append(rate.limit)
    if live_key is not None:
        params.append(live_key)
    for row in urls:
        params += _row_values(row, url_fields, connection)
    params += task.params(connection)  # its argument is built in SQL from the report's id
    sql = _postgres_sql(rate=rate is not None, live_key=live_key is not None, urls=len(urls))
    count, report_id = execute_prepared(connection, sql, params) or (None, None)
    if report_id is None:
        refused_by_rate = rate is not None and count is not None and count > rate.limit
        return Outcome(stored=False, count=count, key_revoked=not refused_by_rate)
    report.pk = report_id
    return Outcome(stored=True, count=count)


@cache
def _generic_sql(n_urls: int) -> tuple[str, str, str, str]:
    from django.db import connection

    quote = connection.ops.quote_name
    report_fields, url_fields = _fields()
    report_sql = (
        f"INSERT INTO {quote(Report._meta.db_table)} ({_columns(report_fields, quote)}) "  # nosec B608  # quoted model identifiers; values are %s parameters
        f"VALUES ({', '.join(['%s'] * len(report_fields))}) RETURNING {quote('id')}"
    )
    url_row = "(" + ", ".join(["%s"] * (len(url_fields) + 1)) + ")"
    url_sql = (
        f"INSERT INTO {quote(ReportedUrl._meta.db_table)} ({quote(ReportedUrl._meta.get_field('report').column)}, "  # nosec B608  # quoted model identifiers; values are %s parameters
        f"{_columns(url_fields, quote)}) VALUES {', '.join([url_row] * n_urls)}"
    )
    return count_event_sql(), report_sql, url_sql, taskqueue.insert_run_sql(connection)


def _generic_write(
    connection: Any,
    report: Report,
    urls: list[dict[str, Any]],
    task: taskqueue.QueuedRun | None,
    rate: RateEvent | None,
    live_key: int | None,
) -> Outcome:
    report_fields, url_fields = _fields()
    count_sql, report_sql, url_sql, task_sql = _generic_sql(len(urls))
    # Prepared (and encrypted) before the transaction: SQLite's write lock is held as briefly as possible.
    report_values = _instance_values(report, report_fields, connection)
    url_values = [_row_values(row, url_fields, connection) for row in urls]
    task_fixed = task.params(connection) if task is not None else []
    count = None
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if rate is not None:
            expires = timezone.now() + timedelta(seconds=rate.ttl_seconds)
            cursor.execute(count_sql, [rate.key, connection.ops.adapt_datetimefield_value(expires)])
            count = cursor.fetchone()[0]
            if count > rate.limit:
                return Outcome(stored=False, count=count)  # commits the count and nothing else
        if live_key is not None and not partner_key_is_live(live_key):
            return Outcome(stored=False, count=count, key_revoked=True)
        cursor.execute(report_sql, report_values)
        report.pk = cursor.fetchone()[0]
        if urls:
            cursor.execute(url_sql, [value for values in url_values for value in (report.pk, *values)])
        if task is None:  # not the database task backend (never with Hotline's settings)
            queue_triage([report.pk])
        else:  # the hand-off to triage: its task's run, written here with the report
            cursor.execute(task_sql, [*task_fixed, task.args_param(report.pk, connection)])
    return Outcome(stored=True, count=count)


def write_report(
    report: Report,
    urls: Sequence[str],
    url_indexes: Sequence[str],
    *,
    rate: RateEvent | None = None,
    live_partner_key: int | None = None,
) -> Outcome:
    """Insert `report` (unsaved), its URLs (with their blind indexes) and its triage task, atomically.

    A measured fast path (bench/intake.py): intake/tests/test_report_sql.py proves its rows equal to the ORM's
    (save(), objects.create(), triage_reports.enqueue()), the plain path.

    With `rate`, first count the event, and write nothing else when the count is over the limit. With
    `live_partner_key`, write nothing when that key has been revoked. On success `report.pk` is set.
    """
    connection = transaction.get_connection()
    urls_rows = [
        {"position": i, "url": url, "url_index": index}
        for i, (url, index) in enumerate(zip(urls, url_indexes, strict=True))
    ]
    task = triage_run_row()  # the hand-off to triage, written by the same statement as the report
    if connection.vendor == "postgresql" and task is not None:
        outcome = _postgres_write(connection, report, urls_rows, task, rate, live_partner_key)
    else:
        outcome = _generic_write(connection, report, urls_rows, task, rate, live_partner_key)
    if outcome.stored:
        report._state.adding = False
        report._state.db = connection.alias
    return outcome
