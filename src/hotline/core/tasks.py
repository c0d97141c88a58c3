"""Periodic upkeep of the core: the retention run of every policy, expired rate-limit counters, long-finished task
rows."""

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


@periodic(every=timedelta(hours=1))
@task()
def apply_retention() -> dict[str, int]:
    """Run every retention policy (hotline.core.retention): what is due is erased or anonymised in batches, each
    batch audited with its counts. Returns the rows erased per policy (policies kept without a period: absent)."""
    from hotline.core import retention

    return {o.name: o.count for o in retention.run_all() if not o.kept}
