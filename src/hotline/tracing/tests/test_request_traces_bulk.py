"""request_traces: request_trace for a whole list of hosts in a few queries, with the same rules
(fresh cache -> nothing, one queued trace per host, a lost task queued afresh, URLs refused)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from hotline.core.audit import verify
from hotline.core.models import AuditEntry
from hotline.tracing import services
from hotline.tracing.models import OPEN_STATUSES, HostTrace, TraceStatus
from hotline.tracing.rules import InvalidHost

pytestmark = pytest.mark.django_db

NOW = "2026-03-02 09:00 +00:00"


def trace_tasks() -> Any:
    return DBTaskResult.objects.filter(task_path__endswith=".trace_host")


def bulk(hosts: list[str], **kwargs: Any) -> None:
    with transaction.atomic():  # as triage calls it: inside its own transaction
        services.request_traces(hosts=hosts, **kwargs)


def test_one_trace_and_one_task_per_new_host_with_one_audit_entry() -> None:
    bulk(["Plain.Example.TEST", "plain.example.test.", "other.example.test", "192.0.2.7", "[2001:db8::1]"])
    hosts = sorted(HostTrace.objects.values_list("host", flat=True))
    assert hosts == sorted(["plain.example.test", "other.example.test", "192.0.2.7", "2001:db8::1"])
    assert set(HostTrace.objects.values_list("status", "reason")) == {(TraceStatus.PENDING, "triage")}
    tasks = list(trace_tasks())
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == hosts
    assert {(t.queue_name, t.status, t.run_after, t.backend_name) for t in tasks} == {
        ("trace", "READY", get_date_max(), "default")
    }
    assert all(t.args_kwargs == {"args": [t.args_kwargs["args"][0]], "kwargs": {}} for t in tasks)
    entry = AuditEntry.objects.get(action="tracing.traces_requested")
    assert entry.details == {"reason": "triage", "traces": sorted(HostTrace.objects.values_list("pk", flat=True))}
    assert "example" not in str(entry.details) and "192.0.2" not in str(entry.details)
    assert verify()[1] is None


def test_the_queued_task_runs_like_one_request_trace_queued(run_tasks: Any) -> None:
    bulk(["plain.example.test"])
    run_tasks()  # tracing reaches nothing here (offline fixture): the trace fails and is retried later
    trace = HostTrace.objects.get()
    assert trace.attempts == 1 and trace.status in (TraceStatus.RETRYING, TraceStatus.FAILED)


def test_asking_again_queues_nothing_new() -> None:
    bulk(["plain.example.test", "other.example.test"])
    before = (HostTrace.objects.count(), trace_tasks().count(), AuditEntry.objects.count())
    bulk(["other.example.test", "PLAIN.example.test"])
    services.request_trace(host="plain.example.test")
    assert (HostTrace.objects.count(), trace_tasks().count(), AuditEntry.objects.count()) == before


def test_nothing_to_ask_writes_nothing() -> None:
    with CaptureQueriesContext(connection) as captured:
        bulk([])
    assert [q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]] == []


@pytest.mark.parametrize("bad", ["https://plain.example.test/a/b", "plain.example.test/a", "plain.example.test:80", ""])
def test_one_url_in_the_list_refuses_the_list_and_writes_nothing(bad: str) -> None:
    with pytest.raises(InvalidHost):
        bulk(["good.example.test", bad])
    assert not HostTrace.objects.exists() and not trace_tasks().exists() and not AuditEntry.objects.exists()


def test_it_is_part_of_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.request_traces(hosts=["plain.example.test"])
        raise RuntimeError("triage failed later")
    assert not HostTrace.objects.exists() and not trace_tasks().exists()


def test_queries_do_not_grow_with_the_list() -> None:
    def queries(hosts: list[str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            bulk(hosts)
        return len(captured)

    queries(["warm-up.example.test"])  # the first audit entry ever also creates the chain head
    few = queries([f"h{i}.few.example.test" for i in range(2)])
    many = queries([f"h{i}.many.example.test" for i in range(40)])
    assert few == many <= 14, (few, many)
    assert HostTrace.objects.count() == 43


# --- the same rules as request_trace, state by state ---------------------------------------------
STATES = [
    "never traced",
    "traced an hour ago",
    "failed an hour ago",
    "traced two days ago",
    "queued",
    "retrying, due soon",
    "queued, task lost",
    "retrying, task lost",
    "retrying, failed recently, task lost",
]


def _make_state(host: str, state: str, now: Any) -> None:
    hours = timedelta(hours=1)
    if state == "traced an hour ago":
        HostTrace.objects.create(host=host, status=TraceStatus.OK, requested_at=now - hours, finished_at=now - hours)
    elif state == "failed an hour ago":
        HostTrace.objects.create(
            host=host, status=TraceStatus.FAILED, requested_at=now - hours, finished_at=now - hours
        )
    elif state == "traced two days ago":
        HostTrace.objects.create(
            host=host, status=TraceStatus.OK, requested_at=now - 48 * hours, finished_at=now - 48 * hours
        )
    elif state == "queued":
        HostTrace.objects.create(host=host, requested_at=now - hours)
    elif state == "retrying, due soon":
        HostTrace.objects.create(
            host=host, status=TraceStatus.RETRYING, requested_at=now - hours, next_retry_at=now + hours
        )
    elif state == "queued, task lost":
        HostTrace.objects.create(host=host, requested_at=now - 30 * hours)
    elif state == "retrying, task lost":
        HostTrace.objects.create(
            host=host, status=TraceStatus.RETRYING, requested_at=now - 30 * hours, next_retry_at=now - 20 * hours
        )
    elif state == "retrying, failed recently, task lost":
        # Its last attempt finished within the TTL: once closed, it counts as a fresh result.
        HostTrace.objects.create(
            host=host,
            status=TraceStatus.RETRYING,
            requested_at=now - 30 * hours,
            finished_at=now - 8 * hours,
            next_retry_at=now - 7 * hours,
        )


def _outcome(host: str) -> tuple[Any, ...]:
    traces = HostTrace.objects.filter(host=host)
    return (
        sorted(traces.values_list("status", "failure_code")),
        traces.filter(status__in=OPEN_STATUSES).count(),
        trace_tasks().filter(args_kwargs__args__0=host).count(),
        AuditEntry.objects.filter(
            action="tracing.trace_abandoned", object_id__in=[str(pk) for pk in traces.values_list("pk", flat=True)]
        ).count(),
    )


@time_machine.travel(NOW, tick=False)
def test_every_state_ends_as_request_trace_leaves_it() -> None:
    now = timezone.now()
    one_by_one = {state: f"s{i}.single.example.test" for i, state in enumerate(STATES)}
    together = {state: f"s{i}.bulk.example.test" for i, state in enumerate(STATES)}
    for state in STATES:
        _make_state(one_by_one[state], state, now)
        _make_state(together[state], state, now)
    with transaction.atomic():
        for state in STATES:
            services.request_trace(host=one_by_one[state])
    bulk(list(together.values()))
    for state in STATES:
        assert _outcome(together[state]) == _outcome(one_by_one[state]), state
    # And what those rules are, so the comparison above cannot pass on two equal mistakes:
    queued_anew = {s for s in STATES if _outcome(together[s])[2] == 1}
    assert queued_anew == {"never traced", "traced two days ago", "queued, task lost", "retrying, task lost"}


# --- PostgreSQL: a concurrent request of the same host ------------------------------------------------
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: no race there")
@pytest.mark.django_db(transaction=True)
def test_a_host_queued_concurrently_is_not_queued_twice() -> None:
    inserted = threading.Event()
    errors: list[BaseException] = []

    def waiting_on_lock() -> bool:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            return bool(cursor.fetchone()[0])

    def other_request() -> None:
        try:
            with transaction.atomic():
                HostTrace.objects.create(host="plain.example.test")
                inserted.set()
                deadline = timezone.now() + timedelta(seconds=10)
                while timezone.now() < deadline and not waiting_on_lock():
                    threading.Event().wait(0.05)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_request)
    thread.start()
    assert inserted.wait(10)
    bulk(["plain.example.test", "other.example.test"])  # waits on the unique index, then falls back
    thread.join(timeout=30)
    assert not errors, errors
    assert HostTrace.objects.filter(host="plain.example.test").count() == 1
    assert HostTrace.objects.filter(host="other.example.test", status=TraceStatus.PENDING).count() == 1
    assert trace_tasks().filter(args_kwargs__args__0="other.example.test").count() == 1
