"""Everything Hotline knows of django-tasks-db's table and private API, in one place (moving to Django's built-in
tasks later is this file): runs queued with plain INSERTs in the caller's transaction (one run written by the
caller's own SQL, bulk enqueue), marking waiting runs done, pruning finished rows, recovering runs of dead
workers, and running ready tasks in-process."""

# ruff: noqa: S608  (SQL built only from model metadata: quoted table and column names, never input)
from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.core.bulk import execute_prepared

logger = logging.getLogger("hotline.worker")

_validated: dict[int, Any] = {}  # id(task) -> the backend it was validated against
VARYING = ("id", "enqueued_at", "args_kwargs")  # every other column of a task's rows is the same each time
_constant_values: dict[tuple[Any, ...], list[Any]] = {}


def _validated_backend(task: Any) -> Any:
    """The task's backend when it is the database backend (each task checked once per backend), else None."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends[task.backend]
    if not isinstance(backend, DatabaseBackend):
        return None
    if _validated.get(id(task)) is not backend:
        backend.validate_task(task)
        _validated[id(task)] = backend
    return backend


def task_values(task: Any, args: Sequence[Any]) -> dict[str, Any] | None:
    """The column values (by attname) of the row `task.enqueue(*args)` would insert, or None when the
    task's backend is not the database backend (the caller then enqueues the usual way)."""
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import get_date_max

    backend = _validated_backend(task)
    if backend is None:
        return None
    return {
        "id": backend._get_id(),
        "args_kwargs": normalize_json({"args": list(args), "kwargs": {}}),
        "priority": task.priority,
        "task_path": task.module_path,
        "queue_name": task.queue_name,
        # bulk inserts skip the pre_save signal that gives "no run_after" its stored value.
        "run_after": task.run_after if task.run_after is not None else get_date_max(),
        "backend_name": backend.alias,
        "enqueued_at": timezone.now(),
    }


def prepared_task_values(values: dict[str, Any], fields: Sequence[Any], connection: Any) -> list[Any]:
    """Database values of `fields` for a row given by task_values (missing ones: the field default).

    The columns that are the same for every run of a task are prepared once per database and task."""
    key = (connection.alias, *(f.attname for f in fields), *(v for k, v in values.items() if k not in VARYING))
    constant = _constant_values.get(key)
    if constant is None:
        constant = _constant_values[key] = [
            None if f.attname in VARYING else f.get_db_prep_save(values.get(f.attname, f.get_default()), connection)
            for f in fields
        ]
    prepared = list(constant)
    for i, f in enumerate(fields):
        if f.attname in VARYING:
            prepared[i] = f.get_db_prep_save(values[f.attname], connection)
    return prepared


@cache
def run_fields() -> list[Any]:
    """The columns an INSERT of one run names, in order, but its arguments (args_kwargs)."""
    from django_tasks_db.models import DBTaskResult

    return [f for f in DBTaskResult._meta.concrete_fields if f.attname != "args_kwargs"]


def insert_run_sql(connection: Any, *, arg_sql: str = "", from_sql: str = "") -> str:
    """The INSERT of one run whose placeholders are QueuedRun.params, in the caller's statement.

    With `arg_sql` (PostgreSQL: a column of the caller's statement, e.g. the id its INSERT of a report returns)
    the run's single argument is that value, read `FROM from_sql`: one data-modifying CTE of the caller's
    statement. Without, a plain INSERT ... VALUES whose last placeholder is QueuedRun.args_param.
    """
    from django_tasks_db.models import DBTaskResult

    quote = connection.ops.quote_name
    fields = run_fields()
    args_column = quote(DBTaskResult._meta.get_field("args_kwargs").column)  # type: ignore[arg-type]
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(DBTaskResult._meta.db_table)
    if arg_sql:
        # Casts name each value's column type, so a prepared statement's parameter types are exact.
        values = ", ".join(f"%s::{f.db_type(connection)}" for f in fields)
        return (
            f"INSERT INTO {table} ({columns}, {args_column}) SELECT {values}, "  # nosec B608  # quoted model identifiers; values are %s parameters
            f"jsonb_build_object('args', jsonb_build_array({arg_sql}), 'kwargs', '{{}}'::jsonb) FROM {from_sql}"
        )
    return f"INSERT INTO {table} ({columns}, {args_column}) VALUES ({', '.join(['%s'] * (len(fields) + 1))})"  # nosec B608  # quoted model identifiers; values are %s parameters


@dataclass(frozen=True)
class QueuedRun:
    """One run of `task` with one argument, written by the caller's own SQL (insert_run_sql) in the caller's
    transaction: the same row as `task.enqueue(arg)`. `values`: its columns by attname, but the arguments."""

    task: Any
    values: dict[str, Any]

    def params(self, connection: Any) -> list[Any]:
        """The database values of run_fields(), the placeholders of insert_run_sql before the argument."""
        return prepared_task_values(self.values, run_fields(), connection)

    def args_param(self, arg: Any, connection: Any) -> Any:
        """The database value of the run's arguments (insert_run_sql without arg_sql)."""
        from django_tasks_db.models import DBTaskResult

        field = DBTaskResult._meta.get_field("args_kwargs")
        return field.get_db_prep_save({"args": [arg], "kwargs": {}}, connection)  # type: ignore[union-attr]


def queued_run(task: Any) -> QueuedRun | None:
    """A run of `task` for the caller's SQL to write, or None when the task's backend is not the database
    backend (the caller then enqueues the usual way)."""
    values = task_values(task, [None])  # the argument comes from the caller's statement
    if values is None:
        return None
    del values["args_kwargs"]
    return QueuedRun(task=task, values=values)


def enqueue_many(task: Any, args_list: Iterable[Sequence[Any]]) -> int:
    """Queue `task(*args)` for each args, in the caller's transaction; the same rows as task.enqueue each.

    One statement on PostgreSQL (the varying columns as arrays), one executemany elsewhere. Returns how
    many were queued. Falls back to one enqueue per item on a non-database backend.
    """
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult

    items = [list(args) for args in args_list]
    if _validated_backend(task) is None:
        for args in items:
            task.enqueue(*args)
        return len(items)
    if not items:
        return 0
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table = quote(DBTaskResult._meta.db_table)
    fields = list(DBTaskResult._meta.concrete_fields)
    first = task_values(task, items[0]) or {}
    backend = _validated_backend(task)
    ids = [first["id"], *(backend._get_id() for _ in items[1:])]
    now = first["enqueued_at"]
    args_kwargs = [normalize_json({"args": args, "kwargs": {}}) for args in items]
    if connection.vendor == "postgresql":
        constant = [f for f in fields if f.attname not in VARYING]
        varying = [next(f for f in fields if f.attname == name) for name in VARYING]
        columns = ", ".join(quote(f.column) for f in [*constant, *varying])
        casts = ", ".join(f"%s::{f.db_type(connection)}" for f in constant)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {casts}, u.id, %s::timestamptz, u.args::jsonb "  # nosec B608  # quoted model identifiers; values are %s parameters
            "FROM unnest(%s::uuid[], %s::text[]) AS u(id, args)"
        )
        values = prepared_task_values(first, constant, connection)
        execute_prepared(connection, sql, [*values, now, ids, [json.dumps(a) for a in args_kwargs]])
        return len(items)
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # nosec B608  # quoted model identifiers; values are %s parameters
    template = prepared_task_values(first, fields, connection)
    slots = {name: next(i for i, f in enumerate(fields) if f.attname == name) for name in VARYING}
    id_field, args_field = DBTaskResult._meta.get_field("id"), DBTaskResult._meta.get_field("args_kwargs")
    rows = []
    for task_id, arguments in zip(ids, args_kwargs, strict=True):
        row = list(template)  # enqueued_at is the same for the whole batch, as prepared in the template
        row[slots["id"]] = id_field.get_db_prep_save(task_id, connection)
        row[slots["args_kwargs"]] = args_field.get_db_prep_save(arguments, connection)
        rows.append(row)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(items)


PRUNE_BATCH = 5000  # rows per DELETE (at most the database's parameter limit): locks stay short


def prune_finished_tasks(*, now: Any = None) -> int:
    """Delete task rows that finished long ago: successful ones after HOTLINE_FINISHED_TASK_DAYS, failed
    ones after HOTLINE_FAILED_TASK_DAYS. Queued and running rows are never touched. Returns how many."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    done_before = now - timedelta(days=settings.HOTLINE_FINISHED_TASK_DAYS)
    failed_before = now - timedelta(days=settings.HOTLINE_FAILED_TASK_DAYS)
    done = Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lte=done_before)
    failed = Q(status=TaskResultStatus.FAILED, finished_at__lte=failed_before)
    batch = min(PRUNE_BATCH, transaction.get_connection().features.max_query_params or PRUNE_BATCH)  # SQLite: 999
    deleted = 0
    while ids := list(DBTaskResult.objects.filter(done | failed).values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted


def finish_waiting_runs(task: Any, *, first_args: Sequence[Any], head: int, now: datetime, return_value: Any) -> int:
    """Mark done the waiting runs of `task` whose first argument is in `first_args`, looking only at the head
    of the queue (`head` rows, in the worker's order, through the queue's own partial index), in the caller's
    transaction. Returns how many. A run a worker already claimed is not touched.

    The rows are locked: on PostgreSQL no worker claims one of them before the caller's transaction ends
    (workers skip locked rows), and a run being claimed right now is skipped here. SQLite serialises writers.
    """
    from django_tasks import task_backends
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not first_args or not isinstance(task_backends[task.backend], DatabaseBackend):
        return 0
    waiting = list(
        DBTaskResult.objects.select_for_update(skip_locked=True)
        .filter(status=TaskResultStatus.READY, task_path=task.module_path)
        .order_by(*DBTaskResult._meta.ordering)  # type: ignore[misc]  # the queue order the worker uses
        .values_list("pk", flat=True)[:head]
    )
    if not waiting:
        return 0
    # By id only (the primary key index): with a status condition, SQLite would rather walk every
    # waiting task. The rows are locked and were waiting, so no condition on the status is needed.
    return DBTaskResult.objects.filter(pk__in=waiting, args_kwargs__args__0__in=list(first_args)).update(
        status=TaskResultStatus.SUCCESSFUL, started_at=now, finished_at=now, return_value=return_value
    )


# --- workers ------------------------------------------------------------------------------------------
def make_worker_id() -> str:
    """host.pid: what requeue_stale_tasks reads back to tell whether a run's worker is still alive."""
    return f"{socket.gethostname()[:40]}.{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_stale_tasks(*, now: datetime | None = None) -> int:
    """Put RUNNING tasks of dead workers back to READY, so a kill -9 loses nothing.

    A task is stale when its worker ran on this host and that process is gone, or when it has
    run longer than HOTLINE_TASK_LEASE (a worker on another machine died). Tasks are written
    to be idempotent, so running one again is safe.
    """
    from django.conf import settings
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    host = socket.gethostname()[:40]
    stale_ids = []
    with transaction.atomic():
        for result in DBTaskResult.objects.running().select_for_update(skip_locked=True):
            worker_id = (result.worker_ids or [""])[-1]
            w_host, _, pid = worker_id.rpartition(".")
            dead_here = w_host == host and pid.isdigit() and not _pid_alive(int(pid))
            expired = result.started_at is not None and now - result.started_at > settings.HOTLINE_TASK_LEASE
            if dead_here or expired:
                stale_ids.append(result.pk)
        if stale_ids:
            DBTaskResult.objects.filter(pk__in=stale_ids).update(status=TaskResultStatus.READY, started_at=None)
    if stale_ids:
        logger.warning("Re-queued %d task(s) left running by a stopped worker.", len(stale_ids))
    return len(stale_ids)


def run_pending_tasks(*, max_tasks: int = 10_000) -> int:
    """Run every ready task in this process until none is left (tests and benchmarks).

    Claims and runs tasks with the same code as `db_worker` (claim under lock, Worker.run_task),
    but never closes the database connection, so it also works inside a test's transaction.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=make_worker_id(),
        excluded_queue_names=[],
    )
    ran = 0
    while ran < max_tasks:
        with exclusive_transaction():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                break
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran


# --- health and metrics ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Backlog:
    ready: int  # runs due now and not yet claimed
    oldest_age_seconds: float | None  # how long the longest-waiting of them has been due (None: none waits)


def ready_backlog(*, now: datetime | None = None) -> Backlog:
    """The runs waiting for a worker and the wait of the oldest, counted from when each was due: its retry
    time when it has one, else when it was queued (two aggregates over the queue's partial index)."""
    from django.db.models import Count, Min
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    ready = DBTaskResult.objects.ready()
    queued = ready.filter(run_after=get_date_max()).aggregate(n=Count("pk"), oldest=Min("enqueued_at"))
    delayed = ready.exclude(run_after=get_date_max()).aggregate(n=Count("pk"), oldest=Min("run_after"))
    due = [at for at in (queued["oldest"], delayed["oldest"]) if at is not None]
    oldest = (now - min(due)).total_seconds() if due else None
    return Backlog(
        ready=queued["n"] + delayed["n"], oldest_age_seconds=max(oldest, 0.0) if oldest is not None else None
    )
