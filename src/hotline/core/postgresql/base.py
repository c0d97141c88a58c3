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

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
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
