"""The PostgreSQL health check (hotline.core.postgresql) needs no round trip, and still catches a
connection the server ended."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from django.db import connection

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
