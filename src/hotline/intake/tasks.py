"""Background upkeep of the intake app: forget old idempotency records and expired rate-limit counters."""

from __future__ import annotations

from datetime import timedelta

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from hotline.core.scheduler import periodic
from hotline.intake import services
from hotline.intake.ratelimit import KEY_PREFIX


@periodic(every=timedelta(hours=1))
@task()
def purge_idempotency_records() -> int:
    """Idempotency-Key answers are replayed for a day (HOTLINE_IDEMPOTENCY_HOURS), then deleted."""
    return services.purge_idempotency_records()


@periodic(every=timedelta(minutes=15))
@task()
def purge_expired_rate_limits() -> int:
    """The database cache only culls when full: delete our expired counters (keyed hashes) promptly."""
    backend = caches["default"]
    if not isinstance(backend, DatabaseCache):
        return 0  # Redis / memory caches expire keys themselves
    table = connection.ops.quote_name(backend._table)  # type: ignore[attr-defined]
    pattern = f"%:{KEY_PREFIX}:%"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE cache_key LIKE %s AND expires < %s",  # noqa: S608 (table name from settings)
            [pattern, connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))],
        )
        return int(cursor.rowcount or 0)
