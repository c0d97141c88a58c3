"""Triage in batches: one transaction for many reports, the same outcome as one report at a time
(dedup within the batch too), one audit entry per batch, sibling tasks marked done, bounded queries,
and safe on PostgreSQL against workers racing (disjoint batches, insert race, retry)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from hotline.cases import conf, services
from hotline.cases.canonical import canonicalize_url
from hotline.cases.factories import make_case, store_report
from hotline.cases.models import Case, CaseEvent, CaseState, Channel, NexusHint, Report, ReportKind
from hotline.cases.tasks import triage_reports as triage_task
from hotline.core import audit
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/album/42"
OTHER = "https://img-host.example/p/7"


def case_for(url: str) -> Case:
    return Case.objects.get(url_index=blind_index(canonicalize_url(url).url, purpose=IndexPurpose.CASE_URL))


def minutes_ago(n: int) -> Any:
    return timezone.now() - timedelta(minutes=n)


def triage_tasks() -> Any:
    return DBTaskResult.objects.filter(task_path=triage_task.module_path)


@time_machine.travel("2026-03-02 09:00 +00:00", tick=False)
def test_one_batch_triages_every_kind_of_report_in_one_go() -> None:
    with_url = store_report(URL, received_at=minutes_ago(5))
    same_url = store_report(URL.upper().replace("/ALBUM/42", "/album/42") + "#x", channel=Channel.SHARE)
    situation = store_report(kind=ReportKind.GROOMING, received_at=minutes_ago(4))
    bad = store_report("ftp://files.example.test/x", OTHER, received_at=minutes_ago(3))

    batch = services.triage_batch(first_report_id=bad.pk, limit=10)

    assert sorted(batch.triaged) == sorted(r.pk for r in (with_url, same_url, situation, bad))
    assert not Report.objects.filter(triaged_at=None).exists()
    url_case = case_for(URL)
    assert url_case.report_count == 2 and url_case.independent_reporters == 2
    assert url_case.channel_list == [Channel.SHARE, Channel.WEB]
    assert url_case.created_at == with_url.received_at  # the oldest report made it
    assert batch.results[with_url.pk].created == [url_case.pk]
    assert batch.results[same_url.pk].created == [] and batch.results[same_url.pk].case_ids == [url_case.pk]
    situation.refresh_from_db()
    assert situation.situation_case is not None and situation.situation_case.url_index is None
    assert batch.results[situation.pk].case_ids == [situation.situation_case_id]
    bad_result = batch.results[bad.pk]
    assert bad_result.problems == 1 and len(bad_result.case_ids) == 2 and batch.problems == 1
    problem_case = Case.objects.exclude(url_problem="").get()
    assert bad.urls.get(position=0).problem == problem_case.url_problem
    assert case_for(OTHER).report_count == 1
    assert sorted(batch.created) == sorted(Case.objects.values_list("pk", flat=True))
    assert batch.attached == [] and batch.reopened == []
    # The timeline: one creation per case, one attachment per (report, case).
    assert url_case.events.filter(kind="report_attached").count() == 2
    assert url_case.events.filter(kind="transition", from_state="new", to_state="triaged").count() == 1
    assert CaseEvent.objects.filter(kind="report_attached").count() == 5
    for case in Case.objects.all():
        assert case.state == CaseState.TRIAGED
        assert case.priority == services.compute_priority(case, now=timezone.now())


def test_the_batch_gives_the_same_cases_as_one_report_at_a_time() -> None:
    specs: list[tuple[tuple[str, ...], dict[str, Any]]] = [
        ((URL,), {"channel": Channel.API, "source_name": "Operator"}),
        ((URL + "?utm_source=x",), {"channel": Channel.API, "source_name": "Operator"}),
        ((URL, OTHER), {"channel": Channel.NETWORK, "source_name": "Hotline NL", "nexus_victim": NexusHint.YES}),
        ((), {"kind": ReportKind.TRAFFICKING}),
        ((OTHER + "#a", OTHER), {"channel": Channel.BOOKMARK}),
        (("javascript:alert(1)",), {}),
    ]

    def run(one_by_one: bool) -> list[tuple[Any, ...]]:
        Case.objects.all().delete()
        Report.objects.all().delete()
        with time_machine.travel("2026-03-02 09:00 +00:00", tick=False):
            reports = [store_report(*urls, **fields) for urls, fields in specs]
            if one_by_one:
                for report in reports:
                    services.triage_report(report_id=report.pk)
            else:
                services.triage_batch(first_report_id=reports[-1].pk, limit=50)
        return sorted(
            Case.objects.values_list(
                "url_index",
                "kind",
                "report_count",
                "independent_reporters",
                "channels",
                "nexus_hint",
                "priority",
                "url_problem",
                "state",
            ),
            key=repr,
        )

    assert run(one_by_one=False) == run(one_by_one=True)


def test_partner_sources_count_once_across_earlier_runs_and_within_the_batch() -> None:
    services.triage_report(report_id=store_report(URL, channel=Channel.API, source_name="Operator").pk)
    first = store_report(URL, channel=Channel.API, source_name="Operator")
    store_report(URL, channel=Channel.API, source_name="Platform")
    store_report(URL, channel=Channel.API, source_name="Platform")
    store_report(URL)
    batch = services.triage_batch(first_report_id=first.pk, limit=10)
    case = case_for(URL)
    assert len(batch.triaged) == 4 and batch.attached == [case.pk] and batch.created == []
    assert case.report_count == 5
    assert case.independent_reporters == 3  # Operator, Platform, the anonymous web report
    assert case.version == 1  # bumped once by the batch: an open form on the case is now stale


def test_a_closed_case_reported_twice_in_one_batch_reopens_once() -> None:
    services.triage_report(report_id=store_report(URL).pk)
    case = case_for(URL)
    services.transition_case(case=case, to_state=CaseState.CLOSED, actor="system", close_reason="removed")
    first = store_report(URL)
    second = store_report(URL + "?fbclid=abc", channel=Channel.NETWORK, source_name="Hotline NL")
    batch = services.triage_batch(first_report_id=second.pk, limit=10)
    case.refresh_from_db()
    assert batch.reopened == [case.pk] and batch.attached == [case.pk]
    assert batch.results[first.pk].reopened == [case.pk] and batch.results[second.pk].reopened == []
    assert case.state == CaseState.TRIAGED and case.report_count == 3
    assert case.events.filter(kind="seen_again").count() == 1
    assert case.events.filter(kind="transition", from_state="closed", to_state="triaged").count() == 1
    assert AuditEntry.objects.filter(action="case.transition", object_id=str(case.pk), details__to="triaged").exists()


def test_the_batch_takes_its_own_report_and_the_oldest_others_up_to_the_limit() -> None:
    old = [store_report(f"https://files.example.test/{i}", received_at=minutes_ago(50 - i)) for i in range(4)]
    newest = store_report(OTHER)
    batch = services.triage_batch(first_report_id=newest.pk, limit=3)
    assert sorted(batch.triaged) == sorted([newest.pk, old[0].pk, old[1].pk])
    assert set(Report.objects.filter(triaged_at=None).values_list("pk", flat=True)) == {old[2].pk, old[3].pk}


def test_the_limit_comes_from_the_setting(settings: Any) -> None:
    reports = [store_report(f"https://files.example.test/{i}") for i in range(4)]
    settings.HOTLINE_TRIAGE_BATCH = 2
    assert len(services.triage_batch(first_report_id=reports[0].pk).triaged) == 2
    settings.HOTLINE_TRIAGE_BATCH = "not a number"  # refused with the setting's name, never a silent default
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_TRIAGE_BATCH"):
        conf.triage_batch_limit()
    settings.HOTLINE_TRIAGE_BATCH = 0
    assert conf.triage_batch_limit() == 1


def test_a_triaged_or_vanished_first_report_still_drains_the_others() -> None:
    done = store_report(URL)
    services.triage_report(report_id=done.pk)
    waiting = store_report(OTHER)
    batch = services.triage_batch(first_report_id=done.pk, limit=10)
    assert batch.results[done.pk].already_done and batch.results[done.pk].case_ids == [case_for(URL).pk]
    assert batch.triaged == [waiting.pk]

    later = store_report("https://files.example.test/later")
    batch = services.triage_batch(first_report_id=987654, limit=10)
    assert batch.results[987654].missing and batch.triaged == [later.pk]


def test_triaging_twice_changes_nothing() -> None:
    reports = [store_report(URL), store_report(URL), store_report(kind=ReportKind.SEXTORTION)]
    services.triage_batch(first_report_id=reports[0].pk, limit=10)
    before = (
        list(Case.objects.order_by("pk").values_list("pk", "report_count", "version", "priority")),
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    for report in reports:
        again = services.triage_batch(first_report_id=report.pk, limit=10)
        assert again.triaged == [] and again.results[report.pk].already_done
    after = (
        list(Case.objects.order_by("pk").values_list("pk", "report_count", "version", "priority")),
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before


def test_one_audit_entry_per_batch_with_what_intake_said_and_no_url() -> None:
    web = store_report(URL, OTHER, received_at=minutes_ago(2))
    partner = store_report(URL, channel=Channel.API, source_name="Operator", received_at=minutes_ago(1))
    situation = store_report(kind=ReportKind.GROOMING, description="Neutral made-up words.")
    batch = services.triage_batch(first_report_id=situation.pk, limit=10)
    entry = AuditEntry.objects.get(action="reports.triaged")
    assert (entry.actor_label, entry.object_type, entry.object_id) == ("system", "report", str(web.pk))
    assert entry.details["reports"] == [
        {"id": web.pk, "channel": "web", "kind": "online_material", "urls": 2, "source": ""},
        {"id": partner.pk, "channel": "api", "kind": "online_material", "urls": 1, "source": "Operator"},
        {"id": situation.pk, "channel": "web", "kind": "grooming", "urls": 0, "source": ""},
    ]
    assert entry.details["cases"] == {"created": batch.created, "reopened": [], "attached": []}
    assert entry.details["problems"] == 0
    text = str(entry.details)
    assert "example" not in text and "http" not in text and "Neutral" not in text
    assert audit.verify()[1] is None


def test_the_queued_tasks_of_the_other_reports_are_marked_done() -> None:
    reports = [store_report(f"https://files.example.test/{i}", received_at=minutes_ago(10 - i)) for i in range(4)]
    with transaction.atomic():
        for report in reports:
            triage_task.enqueue(report.pk)
        triage_task.enqueue(reports[3].pk)  # a duplicate (the straggler sweep queued it again)
        unrelated = triage_task.enqueue(987654)
    claimed = triage_tasks().get(args_kwargs__args__0=reports[1].pk)
    claimed.claim("another-worker.1")  # a worker already took this one: it is not touched

    batch = services.triage_batch(first_report_id=reports[0].pk, limit=3)  # reports 0, 1, 2

    assert batch.triaged == [r.pk for r in reports[:3]]
    assert batch.sibling_tasks == 1
    statuses = {(t.args_kwargs["args"][0], t.status) for t in triage_tasks()}
    assert statuses == {
        (reports[0].pk, TaskResultStatus.READY),  # its own task: the worker running it finishes it
        (reports[1].pk, TaskResultStatus.RUNNING),
        (reports[2].pk, TaskResultStatus.SUCCESSFUL),
        (reports[3].pk, TaskResultStatus.READY),  # not in this batch
        (987654, TaskResultStatus.READY),
    }
    done = triage_tasks().get(args_kwargs__args__0=reports[2].pk)
    assert done.return_value == {"triaged_with": reports[0].pk} and done.finished_at is not None
    assert DBTaskResult.objects.get(pk=unrelated.id).status == TaskResultStatus.READY


def test_a_sibling_task_beyond_the_head_of_the_queue_runs_and_finds_nothing_to_do() -> None:
    reports = [store_report(f"https://files.example.test/{i}", received_at=minutes_ago(10 - i)) for i in range(2)]
    with transaction.atomic():
        for missing in range(900_001, 900_001 + services.SIBLING_WINDOW * 2):
            triage_task.enqueue(missing)  # older tasks ahead in the queue
        for report in reports:
            triage_task.enqueue(report.pk)
    batch = services.triage_batch(first_report_id=reports[0].pk, limit=2)
    assert batch.triaged == [r.pk for r in reports] and batch.sibling_tasks == 0
    assert triage_tasks().get(args_kwargs__args__0=reports[1].pk).status == TaskResultStatus.READY
    entries = AuditEntry.objects.count()
    assert triage_task.call(reports[1].pk) == 0  # what the worker runs: its report is triaged, nothing else waits
    assert AuditEntry.objects.count() == entries


def test_queries_do_not_grow_with_the_batch() -> None:
    def queries_for(n: int, tag: str) -> int:
        reports = [
            store_report(
                f"https://site{i}.{tag}.example/a/{i}",
                f"https://site{i}.{tag}.example/a/{i}?utm_source=x",
                channel=Channel.API,
                source_name=f"partner-{i % 3}",
            )
            for i in range(n)
        ]
        reports += [store_report(kind=ReportKind.GROOMING) for _ in range(n // 3)]
        with CaptureQueriesContext(connection) as captured:
            batch = services.triage_batch(first_report_id=reports[0].pk, limit=100)
        assert len(batch.triaged) == len(reports)
        return len(captured)

    queries_for(1, "warm-up")  # the first audit entry ever also creates the chain head
    # Sizes below one bulk statement's row limit on SQLite (999 parameters): 24 + 8 cases.
    small = queries_for(3, "small")
    large = queries_for(24, "large")
    assert large == small, (small, large)
    assert large <= 30


# The real worker closes connections it finds inside a transaction (on PostgreSQL the test's own), so
# the tests that run tasks run outside one.
@pytest.mark.django_db(transaction=True)
def test_through_the_worker_one_task_triages_the_batch(run_tasks: Any) -> None:
    with transaction.atomic():  # as intake does: each report with its task
        reports = [store_report(kind=ReportKind.GROOMING) for _ in range(5)]
        for report in reports:
            triage_task.enqueue(report.pk)
    assert run_tasks() == 1  # situation reports: no trace tasks either
    assert not Report.objects.filter(triaged_at=None).exists()
    assert Case.objects.count() == 5
    assert set(triage_tasks().values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    ran = triage_tasks().exclude(return_value={"triaged_with": reports[0].pk}).get()
    assert ran.return_value == 5 and ran.args_kwargs["args"] == [reports[0].pk]
    assert AuditEntry.objects.filter(action="reports.triaged").count() == 1


# --- PostgreSQL: workers racing --------------------------------------------------------------------
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers (BEGIN IMMEDIATE): batches cannot interleave there. Raced on PostgreSQL.",
)


def _in_thread(fn: Any, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def _waiting_on_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        return bool(cursor.fetchone()[0])


def _wait_until(predicate: Any, seconds: float = 10) -> bool:
    deadline = timezone.now() + timedelta(seconds=seconds)
    while timezone.now() < deadline:
        if predicate():
            return True
        threading.Event().wait(0.05)
    return False


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_reports_another_batch_holds() -> None:
    held = [store_report(f"https://files.example.test/{i}", received_at=minutes_ago(30 - i)) for i in range(3)]
    free = [store_report(f"https://img-host.example/{i}", received_at=minutes_ago(10 - i)) for i in range(2)]
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_worker() -> None:
        with transaction.atomic():
            list(Report.objects.select_for_update().filter(pk__in=[r.pk for r in held]))
            locked.set()
            release.wait(20)

    thread = _in_thread(other_worker, errors)
    thread.start()
    try:
        assert locked.wait(10)
        batch = services.triage_batch(first_report_id=free[0].pk, limit=10)  # does not wait for the held rows
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(batch.triaged) == sorted(r.pk for r in free)
    assert Report.objects.filter(triaged_at=None).count() == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_batches_racing_on_one_url_make_one_case() -> None:
    firsts = [store_report(URL), store_report(URL.replace("https://", "HTTPS://"))]
    for i in range(6):
        store_report(URL + f"#{i}", OTHER if i % 2 else f"https://files.example.test/{i}")
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []
    batches: list[Any] = []

    def runner(report_id: int) -> Any:
        def run() -> None:
            barrier.wait()
            batches.append(services.triage_batch(first_report_id=report_id, limit=4))

        return run

    threads = [_in_thread(runner(r.pk), errors) for r in firsts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    while Report.objects.filter(triaged_at=None).exists():  # whatever neither batch took
        services.triage_batch(first_report_id=Report.objects.filter(triaged_at=None).first().pk, limit=10)
    assert Case.objects.filter(url_index=case_for(URL).url_index).count() == 1
    assert case_for(URL).report_count == 8 and case_for(OTHER).report_count == 3
    assert Case.objects.count() == 1 + 1 + 3  # URL, OTHER, /0 /2 /4
    triaged = [pk for b in batches for pk in b.triaged]
    assert len(triaged) == len(set(triaged))  # no report in two batches


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_that_loses_the_insert_race_is_run_again_and_attaches() -> None:
    index = blind_index(canonicalize_url(URL).url, purpose=IndexPurpose.CASE_URL)
    report = store_report(URL, received_at=minutes_ago(2))
    store_report(OTHER, received_at=minutes_ago(1))
    inserted = threading.Event()
    errors: list[BaseException] = []

    def winner() -> None:
        with transaction.atomic():
            make_case(kind=ReportKind.ONLINE_MATERIAL, state=CaseState.TRIAGED, url_index=index, report_count=1)
            inserted.set()
            _wait_until(_waiting_on_lock)  # hold the row until the batch waits on the unique index

    def loser() -> None:
        assert inserted.wait(10)
        services.triage_batch(first_report_id=report.pk, limit=10)

    threads = [_in_thread(winner, errors), _in_thread(loser, errors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    case = case_for(URL)
    assert case.report_count == 2  # the winner's 1 + this report
    assert report.urls.get().case_id == case.pk
    assert case_for(OTHER).report_count == 1  # the first, rolled-back try left nothing behind
    assert Case.objects.count() == 2
    assert AuditEntry.objects.filter(action="reports.triaged").count() == 1
