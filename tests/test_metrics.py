"""/metrics: off (404) without HOTLINE_METRICS_TOKEN, 401 without the token, counts requests by URL name and
status and task runs by task, adds up the counts of every process, and never carries a URL, host or receipt."""

from __future__ import annotations

import io
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from conftest import free_port
from hotline.core import metrics
from hotline.core.models import MetricCount

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-" + "0f1e2d3c" * 5


@pytest.fixture
def token(settings: Any) -> str:
    settings.HOTLINE_METRICS_TOKEN = TOKEN
    metrics.tally.take()  # counts of earlier tests of this process are not this test's
    return TOKEN


def scrape(token: str = TOKEN) -> str:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token(settings: Any) -> None:
    settings.HOTLINE_METRICS_TOKEN = None
    assert Client().get("/metrics").status_code == 404
    assert not metrics.enabled()


@pytest.mark.django_db
def test_a_missing_or_wrong_token_is_401(token: str) -> None:
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer " + "0" * 40}, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}):
        response = Client().get("/metrics", **headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"hotline_" not in response.content


def test_a_short_token_stops_the_start(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from hotline.core import conf

    settings.HOTLINE_METRICS_TOKEN = "short"
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_METRICS_TOKEN must be a random token of at least 32"):
        conf.metrics_token()


@pytest.mark.django_db
def test_requests_are_counted_by_url_name_and_status_never_by_path(token: str) -> None:
    before = scrape()
    client = Client()
    for _ in range(3):
        assert client.get("/").status_code == 200
    receipt_like = "4111222233334444"
    assert client.get(f"/no-such-page/{receipt_like}/").status_code == 404
    assert client.get("/healthz").status_code == 200
    after = scrape()
    requests = "hotline_http_requests_total"
    assert (
        value(after, requests, view="core:home", status="200") - value(before, requests, view="core:home", status="200")
        == 3
    )
    assert (
        value(after, requests, view="unresolved", status="404")
        - value(before, requests, view="unresolved", status="404")
        == 1
    )
    assert value(after, requests, view="core:healthz", status="200") >= 1
    # The scrape before counted itself too, and a histogram of the time taken per URL name.
    assert value(after, requests, view="core:metrics", status="200") >= 1
    assert value(after, "hotline_http_request_duration_seconds_count", view="core:home") >= 3
    assert value(after, "hotline_http_request_duration_seconds_bucket", view="core:home", le="+Inf") >= 3
    assert receipt_like not in after and "no-such-page" not in after


@pytest.mark.django_db
def test_the_counts_of_every_process_are_added_up(token: str) -> None:
    """Another process's flush is an upsert that adds to the same row, never overwrites it."""
    metrics.tally.request("core:home", 200, 0.002)
    assert metrics.flush(force=True)
    metrics.tally.request("core:home", 200, 0.002)
    metrics.tally.request("core:home", 200, 0.002)
    assert metrics.flush(force=True)
    row = MetricCount.objects.get(name="hotline_http_requests", labels='["core:home","200"]')
    assert row.value == 3
    assert value(scrape(), "hotline_http_requests_total", view="core:home", status="200") == 3


def test_counts_that_cannot_be_stored_are_kept_for_the_next_try(token: str) -> None:
    """No `db` mark: the database refuses every query here, as an unreachable one would."""
    metrics.tally.request("core:home", 200, 0.01)
    assert metrics.flush(force=True) is False
    pending = metrics.tally.take()
    assert pending[("hotline_http_requests", ("core:home", "200"))] == 1


@pytest.mark.django_db
def test_nothing_is_counted_while_metrics_are_off(settings: Any) -> None:
    settings.HOTLINE_METRICS_TOKEN = None
    metrics.tally.take()
    Client().get("/")
    assert metrics.tally.take() == {}


@pytest.mark.django_db
def test_task_runs_wait_and_run_time_are_counted_by_task(token: str, run_tasks: Any) -> None:
    from hotline.core.tasks import purge_rate_counters

    purge_rate_counters.enqueue()
    before = scrape()
    assert run_tasks() == 1
    after = scrape()
    task = "hotline.core.tasks.purge_rate_counters"
    runs = "hotline_task_runs_total"
    assert (
        value(after, runs, task=task, outcome="successful") - value(before, runs, task=task, outcome="successful") == 1
    )
    assert value(after, "hotline_task_wait_seconds_count", task=task) >= 1
    assert value(after, "hotline_task_run_seconds_count", task=task) >= 1
    assert value(after, "hotline_tasks_ready") == 0


@pytest.mark.django_db
def test_a_failed_task_is_counted_as_failed(token: str, run_tasks: Any, monkeypatch: Any) -> None:
    from hotline.core import ratelimit
    from hotline.core.tasks import purge_rate_counters

    def broken() -> int:
        raise RuntimeError("made to fail")

    monkeypatch.setattr(ratelimit, "purge_expired", broken)
    purge_rate_counters.enqueue()
    run_tasks()
    text = scrape()
    task = "hotline.core.tasks.purge_rate_counters"
    assert value(text, "hotline_task_runs_total", task=task, outcome="failed") >= 1
    assert value(text, "hotline_tasks_failed", task=task) == 1


@pytest.mark.django_db
def test_the_time_of_the_last_intact_audit_check_is_shown(token: str) -> None:
    assert value(scrape(), "hotline_audit_last_verified_timestamp_seconds") == 0
    call_command("verify_audit", stdout=io.StringIO())
    text = scrape()
    assert abs(value(text, "hotline_audit_last_verified_timestamp_seconds") - time.time()) < 60
    assert value(text, "hotline_audit_last_check_ok") == 1
    assert value(text, "hotline_audit_entries") == 1  # the check's own entry


@pytest.mark.django_db
def test_a_scrape_of_the_demo_data_names_no_url_host_address_receipt_or_email(token: str) -> None:
    from hotline.cases.models import Case, ReportedUrl
    from hotline.referrals.models import Referral
    from hotline.tracing.models import HostingObservation

    call_command("demo_data", stdout=io.StringIO())
    text = scrape()
    hosts = {h for h in Case.objects.values_list("host", flat=True) if h}
    hosts |= {d for d in Case.objects.values_list("registered_domain", flat=True) if d}
    urls = [u.url for u in ReportedUrl.objects.all()]
    emails = {e for e in Referral.objects.values_list("recipient_email", flat=True) if e}
    addresses = set(HostingObservation.objects.values_list("ip", flat=True))
    assert hosts and urls and emails and addresses, "the demo data has hosts, URLs, recipients and addresses"
    for secret in [*hosts, *urls, *emails, *addresses]:
        assert secret not in text, secret
    assert not re.search(r"https?://|\b\d{16}\b|@", text)
    # ... and it does say what matters: reports by channel, the failed demo delivery, the queue.
    assert value(text, "hotline_reports_received", channel="web", window="24h") > 0
    assert value(text, "hotline_referrals_failed") >= 1
    assert value(text, "hotline_delivery_attempts_failed_24h", target="host_notice") >= 1
    assert sum(v for (name, _), v in samples(text).items() if name == "hotline_cases_open") > 0
    assert value(text, "hotline_metrics_collector_failed", part="cases") == 0
    assert "process_resident_memory_bytes" in text and "hotline_info" in text


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_two_web_workers_count_into_one_sum_that_survives_a_restart(
    tmp_path: Path, migrated_sqlite: Callable[[Path], Path]
) -> None:
    """Granian with two workers: requests spread over both, the server stops (each worker stores what it
    counted), a new server starts, and its scrape shows every request of the first."""
    database = tmp_path / "hotline.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        HOTLINE_VAR_DIR=str(tmp_path),
        HOTLINE_METRICS_TOKEN=secrets.token_urlsafe(32),
    )
    migrated_sqlite(database)

    def serve() -> tuple[subprocess.Popen[bytes], int]:
        port = free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2", "--blocking-threads", "1", "--working-dir", str(ROOT / "src"),
             "--no-access-log", "hotline.wsgi:application"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                return server, port
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)

    first, port = serve()
    try:
        for _ in range(40):  # new connections: granian hands them to both workers
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).close()
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    second, port = serve()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {env['HOTLINE_METRICS_TOKEN']}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert value(text, "hotline_http_requests_total", view="core:home", status="200") == 40


@pytest.mark.django_db
def test_a_due_store_never_writes_or_closes_inside_a_transaction(token: str, monkeypatch: Any) -> None:
    """The test runs inside a transaction, as a task may: a due store waits, and the connection stays open."""
    from django.db import connection

    metrics.tally.request("core:home", 200, 0.01)
    monkeypatch.setattr(metrics.tally, "_next_flush", 0.0)
    connection.ensure_connection()
    raw = connection.connection
    metrics.flush_when_due()
    assert connection.connection is raw and connection.in_atomic_block
    assert not MetricCount.objects.exists()
    assert metrics.tally.take()  # still pending
