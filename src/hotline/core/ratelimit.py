"""Shared rate-limit counters: one atomic upsert per event, keyed by short-lived keyed hashes.

Callers build the key themselves from an HMAC of the subject (an address prefix, an email domain)
under a key that changes every window, so no address is ever stored and a key is useless after its
window. Cheaper and stricter than the database cache (which needs several statements per event and
whose increment is read-then-write): INSERT … ON CONFLICT DO UPDATE … RETURNING is atomic on both
SQLite (≥ 3.35) and PostgreSQL, and runs inside the caller's transaction.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from hotline.core.crypto import IndexPurpose, blind_index
from hotline.core.models import RateCounter

_TABLE = RateCounter._meta.db_table


@dataclass(frozen=True)
class RateEvent:
    """One event to count under `key` together with a write, which is refused over `limit`
    (see hotline.intake.report_sql); the counter row lives `ttl_seconds`."""

    key: str
    limit: int
    ttl_seconds: int


def current_window(period: int, *, now: float | None = None) -> tuple[int, int]:
    """(number of the fixed window of `period` seconds we are in, whole seconds left in it)."""
    now = time.time() if now is None else now
    number = int(now // period)
    return number, max(1, math.ceil((number + 1) * period - now))


def subject_key(scope: str, subject: str, window: int) -> str:
    """The counter key of `subject` (an address prefix, a domain) in one window of one limit.

    A keyed hash under a key derived from HOTLINE_INDEX_KEY, the scope and the window: the database
    never holds the subject, and a key says nothing about the same subject in another window.
    """
    digest = blind_index(subject, purpose=IndexPurpose.RATE_LIMIT, qualifier=f"{scope}:{window}")[:32]
    return f"rl:{scope}:{window}:{digest}"


def count_event(key: str, *, ttl_seconds: int) -> int:
    """Add one to the counter `key` (created with a lifetime of `ttl_seconds`); returns the new count."""
    expires_at = timezone.now() + timedelta(seconds=ttl_seconds)
    with connection.cursor() as cursor:
        cursor.execute(count_event_sql(), [key, connection.ops.adapt_datetimefield_value(expires_at)])
        row = cursor.fetchone()
    return int(row[0])


def count_event_sql() -> str:
    """The upsert that counts one event: params (key, expires_at); returns the new count.

    Also the first part of the intake's one-statement report write (hotline.intake.report_sql)."""
    quote = connection.ops.quote_name
    table, key, count = quote(_TABLE), quote("key"), quote("count")
    return (
        f"INSERT INTO {table} ({key}, {count}, {quote('expires_at')}) VALUES (%s, 1, %s) "  # noqa: S608 (our table)  # nosec B608
        f"ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
    )


def current_count(key: str) -> int:
    """The count of `key` now (0 when absent or expired), without adding one.

    One plain SELECT: building it through the ORM cost ten times the query (every API request peeks once).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count FROM {_TABLE} WHERE key = %s AND expires_at > %s",  # noqa: S608 (our table name)  # nosec B608
            [key, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete counters whose window has ended: the retention policy `core.rate_counters`, run by its own 15-minute
    job (the general retention run is hourly). Audited with the count."""
    from hotline.core import retention

    return retention.run_policy("core.rate_counters", now=now).count
