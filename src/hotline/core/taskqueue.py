"""Queue runs of a task with plain INSERTs in the caller's transaction (reports, batches, hosting traces)."""

# ruff: noqa: S608  (SQL built only from model metadata: quoted table and column names, never input)
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.core.bulk import execute_prepared

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
