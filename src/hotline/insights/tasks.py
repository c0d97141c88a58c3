"""Background work of the insights app: apply the changes the triggers recorded to the facts and rollups."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@periodic(every=timedelta(minutes=1))
@task()
def refresh_rollups() -> int:
    """Count what changed since the last run into the day rollups (idempotent)."""
    from hotline.insights.services import rollups

    return rollups.refresh()
