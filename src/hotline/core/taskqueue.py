"""Queue runs of a task with plain INSERTs in the caller's transaction (reports, batches, hosting traces)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

_validated: dict[int, Any] = {}  # id(task) -> the backend it was validated against


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


def enqueue_many(task: Any, args_list: Iterable[Sequence[Any]]) -> int:
    """Queue `task(*args)` for each args, in the caller's transaction; the same rows as task.enqueue each.

    Returns how many were queued. Falls back to one enqueue per item on a non-database backend.
    """
    from django_tasks_db.models import DBTaskResult

    from hotline.core.bulk import insert_rows

    items = [list(args) for args in args_list]
    if _validated_backend(task) is None:
        for args in items:
            task.enqueue(*args)
        return len(items)
    insert_rows(DBTaskResult, [DBTaskResult(**task_values(task, args)) for args in items])  # type: ignore[arg-type]
    return len(items)
