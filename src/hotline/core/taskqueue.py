"""Queue many runs of one task with a single INSERT (batches: partner API, hosting traces)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def enqueue_many(task: Any, args_list: Iterable[Sequence[Any]]) -> int:
    """Queue `task(*args)` for each args, in the caller's transaction; the same rows as task.enqueue each.

    Returns how many were queued. Falls back to one enqueue per item on a non-database backend.
    """
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    from hotline.core.bulk import insert_rows

    items = [list(args) for args in args_list]
    backend = task_backends[task.backend]
    if not isinstance(backend, DatabaseBackend):
        for args in items:
            task.enqueue(*args)
        return len(items)
    backend.validate_task(task)
    # bulk_create skips the pre_save signal that gives "no run_after" its stored value.
    run_after = task.run_after if task.run_after is not None else get_date_max()
    insert_rows(
        DBTaskResult,
        [
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": args, "kwargs": {}}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                run_after=run_after,
                backend_name=backend.alias,
            )
            for args in items
        ],
    )
    return len(items)
