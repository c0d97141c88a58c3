"""Long-finished task rows are deleted by a periodic job; queued and running ones never are."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.core import scheduler, taskqueue
from hotline.core.tasks import prune_finished_tasks, purge_rate_counters

pytestmark = pytest.mark.django_db


def task_row(status: str, *, finished_days_ago: float | None = None) -> str:
    result = purge_rate_counters.enqueue()
    finished = timezone.now() - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    DBTaskResult.objects.filter(id=result.id).update(status=status, finished_at=finished)
    return str(result.id)


def remaining() -> set[str]:
    return {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}


def test_only_rows_that_finished_long_ago_are_deleted(settings: Any) -> None:
    settings.HOTLINE_FINISHED_TASK_DAYS = 14
    settings.HOTLINE_FAILED_TASK_DAYS = 60
    kept = {
        task_row("READY"),
        task_row("RUNNING"),
        task_row("SUCCESSFUL", finished_days_ago=13),
        task_row("FAILED", finished_days_ago=59),
        task_row("READY", finished_days_ago=400),  # a finished_at alone does not make a row finished
    }
    gone = {task_row("SUCCESSFUL", finished_days_ago=15), task_row("FAILED", finished_days_ago=61)}
    assert taskqueue.prune_finished_tasks() == 2
    assert remaining() == kept and not gone & remaining()


def test_many_rows_go_in_batches(monkeypatch: Any) -> None:
    monkeypatch.setattr(taskqueue, "PRUNE_BATCH", 2)
    for _ in range(5):
        task_row("SUCCESSFUL", finished_days_ago=30)
    keep = task_row("RUNNING")
    assert taskqueue.prune_finished_tasks() == 5
    assert remaining() == {keep}


def test_a_batch_never_exceeds_the_databases_parameter_limit(monkeypatch: Any) -> None:
    from django.db import connection

    monkeypatch.setattr(connection.features, "max_query_params", 3)  # as a small SQLite build's 999
    for _ in range(7):
        task_row("SUCCESSFUL", finished_days_ago=30)
    sizes: list[int] = []
    real_filter = DBTaskResult.objects.filter

    def counting_filter(*args: Any, **kwargs: Any) -> Any:
        if "pk__in" in kwargs:
            sizes.append(len(kwargs["pk__in"]))
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(DBTaskResult.objects, "filter", counting_filter)
    assert taskqueue.prune_finished_tasks() == 7
    assert sizes == [3, 3, 1]


def test_the_periodic_job_prunes(run_tasks: Any) -> None:
    job = next(j for j in scheduler.REGISTRY.values() if j.name.endswith("prune_finished_tasks"))
    assert job.every == timedelta(hours=6)
    old = task_row("SUCCESSFUL", finished_days_ago=30)
    prune_finished_tasks.enqueue()
    run_tasks()
    assert old not in remaining()
