"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django checks a persistent connection at the first query of every request
with `SELECT 1`: one more round trip per request, which on the intake hot path cost about as much as
storing the report itself (bench/intake.py). A server that ends a connection (restart, shutdown,
pg_terminate_backend, idle timeout) sends a FATAL message and closes the socket, so an idle
connection with anything waiting on its socket is not usable. That is a zero-timeout poll instead of
a round trip. Anything other than an idle connection is checked the usual way.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

# psycopg prepares a statement after it ran this many times, or at once when asked (prepare=True).
EXPLICIT_ONLY = 2**62


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        # Django turns psycopg's prepared statements off (None) for poolers. With persistent
        # connections, statements that ask for it (core.bulk.execute_prepared: prepare=True) are
        # prepared once per connection; the threshold keeps every other statement unprepared.
        if params.get("prepare_threshold") is None and self.settings_dict.get("CONN_MAX_AGE") != 0:
            params["prepare_threshold"] = EXPLICIT_ONLY
        return params

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return bool(super().is_usable())
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        # An idle connection gets nothing unasked (Hotline never LISTENs): data or EOF means the
        # server is ending it. Django then closes it and the request opens a new one.
        return not readable
