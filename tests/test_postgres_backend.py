"""Hotline on PostgreSQL: the backend's health check (hotline.core.postgresql) needs no round trip and
still catches a connection the server ended; statements are prepared only where the code asks
(core.bulk.execute_prepared), and never without persistent connections."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from django.db import connection

from hotline.core.bulk import execute_prepared
from hotline.core.postgresql import base

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's backend")


def count_executes(monkeypatch: Any) -> list[str]:
    executed: list[str] = []
    real = psycopg.Cursor.execute

    def counting(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        executed.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting)
    return executed


def test_a_live_idle_connection_is_usable_without_a_query(monkeypatch: Any) -> None:
    assert connection.settings_dict["ENGINE"] == "hotline.core.postgresql"
    connection.ensure_connection()
    executed = count_executes(monkeypatch)
    assert connection.is_usable()
    assert executed == []


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced() -> None:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    settings = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in settings.items() if k != "cursor_factory"}, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connection.is_usable()
    # What Django does at the start of a request with CONN_HEALTH_CHECKS: close it, then reconnect.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_inside_a_transaction_the_usual_query_checks(monkeypatch: Any) -> None:
    from django.db import transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executed = count_executes(monkeypatch)
        assert connection.is_usable()
        assert executed == ["SELECT 1"]


def prepared_statements(wrapper: Any) -> list[str]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("conn_max_age", [600, None])
def test_with_persistent_connections_only_statements_that_ask_are_prepared(conn_max_age: int | None) -> None:
    wrapper = base.DatabaseWrapper({**connection.settings_dict, "CONN_MAX_AGE": conn_max_age}, alias="persistent")
    try:
        for i in range(10):
            with wrapper.cursor() as cursor:  # Django's own queries: never prepared, never remembered
                cursor.execute("SELECT %s::text", [f"session-key-{i}"])
        for _ in range(3):
            assert execute_prepared(wrapper, "SELECT %s::integer + 1", [1]) == (2,)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT %s::text", ["after"])
        assert prepared_statements(wrapper) == ["SELECT $1::integer + 1"]
        # psycopg's statement cache stays off between prepared statements: with it on, it would also
        # keep the text of every other query, values included (a session key here), for the
        # connection's life.
        raw = wrapper.connection
        assert raw.prepare_threshold is None
        remembered = [key[0] for key in (*raw._prepared._counts, *raw._prepared._names)]
        assert remembered == [b"SELECT $1::integer + 1"], remembered
    finally:
        wrapper.close()


def test_without_persistent_connections_nothing_is_prepared() -> None:
    """A transaction-mode pooler (PgBouncer) cannot keep a prepared statement for its client."""
    wrapper = base.DatabaseWrapper({**connection.settings_dict, "CONN_MAX_AGE": 0}, alias="unprepared")
    try:
        assert execute_prepared(wrapper, "SELECT %s::integer + 2", [1]) == (3,)
        assert prepared_statements(wrapper) == []
    finally:
        wrapper.close()
