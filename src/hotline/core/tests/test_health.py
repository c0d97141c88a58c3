"""/healthz answers without the database; /readyz fails on an unreachable database or a missing migration,
and shows its figures only to a holder of the metrics token."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from conftest import free_port
from hotline.core import health, metrics

ROOT = Path(__file__).resolve().parents[4]
TOKEN = "metrics-" + "a1b2c3d4" * 5


@pytest.fixture
def token(settings: Any) -> str:
    settings.HOTLINE_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture(autouse=True)
def _fresh_migration_check() -> None:
    health._migrations_applied.clear()


def test_healthz_answers_without_touching_the_database(token: str, monkeypatch: Any) -> None:
    """No `db` mark: pytest-django refuses any query, so a query in the view would fail this test."""
    monkeypatch.setattr(metrics.tally, "_next_flush", time.monotonic() + 3600)  # no counts stored meanwhile
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_without_the_token_names_the_checks_only(token: str) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    wrong = Client().get("/readyz", HTTP_AUTHORIZATION="Bearer " + "x" * 40)
    assert wrong.json() == response.json()


@pytest.mark.django_db
def test_readyz_with_the_token_shows_the_backlog_and_the_failed_deliveries(token: str) -> None:
    from hotline.core.tasks import purge_rate_counters

    purge_rate_counters.enqueue()
    body = Client().get("/readyz", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["status"] == "ready"
    assert body["tasks"]["ready"] == 1
    assert 0 <= body["tasks"]["oldest_ready_age_seconds"] < 60
    assert body["referrals"] == {"failed_deliveries": 0, "oldest_failed_delivery_age_seconds": None}


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_missing(token: str) -> None:
    MigrationRecorder(connection).record_unapplied("core", "0006_audit_archive")  # the newest core migration
    response = Client().get("/readyz", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "migrations": "pending"}}


@pytest.mark.django_db
def test_a_positive_migration_check_is_kept_for_the_process(django_assert_max_num_queries: Any) -> None:
    assert health.migrations_applied()
    with django_assert_max_num_queries(0):
        assert health.migrations_applied()


@pytest.mark.slow
def test_with_the_database_away_healthz_is_200_and_readyz_503(tmp_path: Path) -> None:
    """A real server whose PostgreSQL does not answer: alive, not ready, and the body says only that."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"postgres://hotline@127.0.0.1:{free_port()}/hotline",  # nothing listens there
        HOTLINE_VAR_DIR=str(tmp_path),
        HOTLINE_METRICS_TOKEN=secrets.token_urlsafe(32),
    )
    granian = Path(sys.executable).with_name("granian")
    server = subprocess.Popen(
        [str(granian), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--working-dir", str(ROOT / "src"), "--no-access-log", "hotline.wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def get(path: str, **headers: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get("/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert (status, body) == (200, {"status": "ok"})
        status, body = get("/readyz", Authorization=f"Bearer {env['HOTLINE_METRICS_TOKEN']}")
        assert status == 503
        assert body == {"status": "unavailable", "checks": {"database": "unreachable", "migrations": "unknown"}}
        assert "127.0.0.1" not in json.dumps(body)
    finally:
        server.terminate()
        server.wait(timeout=30)
