"""Background upkeep of the intake app: forget old idempotency records (rate counters: hotline.core.tasks)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@periodic(every=timedelta(hours=1))
@task()
def purge_idempotency_records() -> int:
    """Idempotency-Key answers are replayed for a day (HOTLINE_IDEMPOTENCY_HOURS), then deleted."""
    from hotline.intake import services

    return services.purge_idempotency_records()
