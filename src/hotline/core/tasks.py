"""Periodic upkeep of the core: expired rate-limit counters, long-finished task rows."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@periodic(every=timedelta(minutes=15))
@task()
def purge_rate_counters() -> int:
    """Delete rate-limit counters whose window has ended (they are useless and hold keyed hashes)."""
    from hotline.core.ratelimit import purge_expired

    return purge_expired()


@periodic(every=timedelta(hours=6))
@task()
def prune_finished_tasks() -> int:
    """Delete task rows that finished long ago (HOTLINE_FINISHED_TASK_DAYS, HOTLINE_FAILED_TASK_DAYS)."""
    from hotline.core.taskqueue import prune_finished_tasks as prune

    return prune()
