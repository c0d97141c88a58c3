"""Triage: reports become cases (one per canonical URL), duplicates counted, closed cases reopened,
bad URLs kept for a human, idempotent, audited, and safe against concurrent runs."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from hotline.cases import services
from hotline.cases.canonical import canonicalize_url
from hotline.cases.factories import make_case, store_report
from hotline.cases.models import Case, CaseEvent, CaseState, Channel, NexusHint, Report, ReportKind
from hotline.cases.priority import case_priority
from hotline.core import audit
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/album/42"


def case_for(url: str) -> Case:
    return Case.objects.get(url_index=blind_index(canonicalize_url(url).url, purpose=IndexPurpose.CASE_URL))


def test_a_report_with_a_url_becomes_a_triaged_case() -> None:
    report = store_report(URL)
    result = services.triage_report(report_id=report.pk)
    case = Case.objects.get()
    assert result.case_ids == [case.pk] and result.created == [case.pk]
    assert case.state == CaseState.TRIAGED
    assert case.canonical_url == canonicalize_url(URL).url
    assert case.host == "files.example.test" and case.registered_domain == "example.test"
    assert case.report_count == 1 and case.independent_reporters == 1
    assert case.channel_list == [Channel.WEB]
    assert case.created_at == report.received_at
    report.refresh_from_db()
    assert report.triaged_at is not None
    assert report.urls.get().case == case
    kinds = list(case.events.values_list("kind", "from_state", "to_state"))
    assert ("transition", "new", "triaged") in kinds and ("report_attached", "", "") in kinds


def test_the_canonical_url_is_encrypted_and_indexed_with_its_own_purpose() -> None:
    store_report(URL)
    services.triage_report(report_id=Report.objects.get().pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT canonical_url, url_index FROM cases_case")
        stored, index = cursor.fetchone()
    assert "example.test" not in stored and stored.startswith("enc1:")
    assert index == blind_index(canonicalize_url(URL).url, purpose=IndexPurpose.CASE_URL)
    assert index != blind_index(canonicalize_url(URL).url, purpose=IndexPurpose.REPORTED_URL)


def test_spellings_of_one_url_end_up_on_one_case() -> None:
    spellings = [
        "https://files.example.test/album/42",
        "HTTPS://Files.Example.TEST:443/album/./42#top",
        "https://files.example.test/album/42?utm_source=chat",
    ]
    for i, url in enumerate(spellings):
        channel = [Channel.WEB, Channel.SHARE, Channel.BOOKMARK][i]
        services.triage_report(report_id=store_report(url, channel=channel).pk)
    case = Case.objects.get()
    assert case.report_count == 3 and case.independent_reporters == 3
    assert case.channel_list == sorted([Channel.WEB, Channel.SHARE, Channel.BOOKMARK])
    assert case.events.filter(kind="report_attached").count() == 3


def test_reports_of_one_partner_count_as_one_independent_reporter() -> None:
    for _ in range(3):
        services.triage_report(report_id=store_report(URL, channel=Channel.API, source_name="Operator").pk)
    services.triage_report(report_id=store_report(URL, channel=Channel.API, source_name="Platform").pk)
    case = Case.objects.get()
    assert case.report_count == 4
    assert case.independent_reporters == 2


def test_one_report_with_two_spellings_of_one_url_counts_once() -> None:
    report = store_report(URL, URL + "#again")
    result = services.triage_report(report_id=report.pk)
    case = case_for(URL)
    assert result.case_ids == [case.pk]
    assert case.report_count == 1 and case.events.filter(kind="report_attached").count() == 1
    assert set(report.urls.values_list("case_id", flat=True)) == {case.pk}


def test_a_report_without_url_gets_a_case_of_its_own() -> None:
    first = store_report(kind=ReportKind.GROOMING, description="Adult contacting a child in a game chat.")
    second = store_report(kind=ReportKind.GROOMING, description="Same kind, another report.")
    a = services.triage_report(report_id=first.pk)
    b = services.triage_report(report_id=second.pk)
    assert a.case_ids != b.case_ids
    first.refresh_from_db()
    case = first.situation_case
    assert case is not None and case.pk == a.case_ids[0]
    assert case.url_index is None and case.kind == ReportKind.GROOMING and case.state == CaseState.TRIAGED
    assert case.priority == case_priority(services.priority_signals(case, now=timezone.now()))


def test_triage_is_idempotent() -> None:
    report = store_report(URL)
    first = services.triage_report(report_id=report.pk)
    before = (Case.objects.get().report_count, CaseEvent.objects.count(), AuditEntry.objects.count())
    again = services.triage_report(report_id=report.pk)
    assert again.already_done and again.case_ids == first.case_ids and again.created == []
    assert (Case.objects.get().report_count, CaseEvent.objects.count(), AuditEntry.objects.count()) == before


def test_a_missing_report_is_not_an_error() -> None:
    result = services.triage_report(report_id=987654)
    assert result.missing and result.case_ids == []


@pytest.mark.parametrize(
    "bad",
    ["ftp://files.example.test/x", "javascript:alert(1)", "http://", "not a url at all"],
)
def test_an_unreadable_url_gets_a_case_that_records_why(bad: str) -> None:
    report = store_report(bad)
    result = services.triage_report(report_id=report.pk)  # never raises
    case = Case.objects.get(pk=result.case_ids[0])
    reported = report.urls.get()
    assert result.problems == 1
    assert case.url_problem and reported.problem == case.url_problem
    assert case.url_index is None and case.canonical_url == ""
    assert case.state == CaseState.TRIAGED  # waits in the queue for a human
    report.refresh_from_db()
    assert report.triaged_at is not None


def test_a_bad_url_beside_a_good_one_does_not_stop_the_good_one() -> None:
    report = store_report("ftp://files.example.test/x", URL)
    result = services.triage_report(report_id=report.pk)
    assert len(result.case_ids) == 2 and result.problems == 1
    assert case_for(URL).report_count == 1


# run_tasks uses the real worker, which closes connections it finds inside a transaction: on PostgreSQL
# that is the test's own, so these tests run outside one.
@pytest.mark.django_db(transaction=True)
def test_the_task_runs_triage(run_tasks: Any) -> None:
    from hotline.cases.tasks import triage_reports

    with transaction.atomic():
        report = store_report(URL)
        triage_reports.enqueue(report.pk)
    assert run_tasks() >= 1
    report.refresh_from_db()
    assert report.triaged_at is not None and Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_queued_under_the_tasks_old_name_still_triages(run_tasks: Any) -> None:
    """Rows queued before triage_report became triage_reports (an upgrade with a backlog) still run."""
    from django_tasks_db.models import DBTaskResult

    from hotline.cases.tasks import triage_reports

    with transaction.atomic():
        report = store_report(URL)
        triage_reports.enqueue(report.pk)
    DBTaskResult.objects.update(task_path="hotline.cases.tasks.triage_report")
    assert run_tasks() >= 1
    report.refresh_from_db()
    assert report.triaged_at is not None
    assert DBTaskResult.objects.get(task_path="hotline.cases.tasks.triage_report").status == "SUCCESSFUL"


def test_a_closed_case_reported_again_is_reopened_as_seen_again() -> None:
    services.triage_report(report_id=store_report(URL).pk)
    case = case_for(URL)
    services.transition_case(case=case, to_state=CaseState.CLOSED, actor="system", close_reason="removed")
    report = store_report(URL, channel=Channel.NETWORK, source_name="Partner hotline NL")
    result = services.triage_report(report_id=report.pk)
    case.refresh_from_db()
    assert result.reopened == [case.pk]
    assert case.state == CaseState.TRIAGED and case.close_reason == ""
    assert case.report_count == 2
    seen = case.events.get(kind="seen_again")
    assert seen.details == {"report": report.pk, "closed_as": "removed"}
    assert case.events.filter(kind="transition", from_state="closed", to_state="triaged").exists()
    assert AuditEntry.objects.filter(action="case.transition", object_id=str(case.pk), details__to="triaged").exists()


@time_machine.travel("2026-03-02 09:00 +00:00", tick=False)
def test_duplicates_raise_priority_as_the_priority_rule_says() -> None:
    services.triage_report(report_id=store_report(URL).pk)
    alone = case_for(URL).priority
    services.triage_report(report_id=store_report(URL, channel=Channel.NETWORK, source_name="NL").pk)
    case = case_for(URL)
    assert case.priority > alone
    assert case.priority == case_priority(services.priority_signals(case, now=timezone.now()))


def test_a_nexus_hint_is_kept_on_the_case_and_counts() -> None:
    services.triage_report(report_id=store_report(URL).pk)
    plain = case_for(URL).priority
    other = "https://img-host.example/p/7"
    services.triage_report(report_id=store_report(other, nexus_victim=NexusHint.YES).pk)
    case = case_for(other)
    assert case.nexus_hint and case.nexus_victim_hint and not case.nexus_offender_hint
    assert case.priority > plain


def test_refresh_priorities_adds_age() -> None:
    with time_machine.travel(timezone.now() - timedelta(hours=30), tick=False):
        services.triage_report(report_id=store_report(URL).pk)
    case = case_for(URL)
    stale = case.priority
    assert services.refresh_priorities() == 1
    case.refresh_from_db()
    assert case.priority > stale
    assert services.refresh_priorities() == 0  # nothing changed the second time


def test_triage_is_audited_without_the_url() -> None:
    report = store_report(URL, channel=Channel.API, source_name="Partner A")
    result = services.triage_report(report_id=report.pk)
    entry = AuditEntry.objects.get(action="reports.triaged")  # one entry per batch, here a batch of one
    assert entry.object_id == str(report.pk)
    assert entry.details == {
        "reports": [{"id": report.pk, "channel": "api", "kind": "online_material", "urls": 1, "source": "Partner A"}],
        "cases": {"created": result.created, "reopened": [], "attached": []},
        "problems": 0,
    }
    assert "example" not in str(entry.details)
    assert audit.verify()[1] is None


@pytest.mark.django_db(transaction=True)
def test_untriaged_reports_are_queued_again(run_tasks: Any, settings: Any) -> None:
    from hotline.cases.tasks import requeue_untriaged_reports

    # Batches of one: a triage task then triages only its own report, so this shows which ones were queued.
    settings.HOTLINE_TRIAGE_BATCH = 1
    with time_machine.travel(timezone.now() - timedelta(minutes=30), tick=False):
        old = store_report(URL)
    fresh = store_report("https://img-host.example/p/1")
    assert requeue_untriaged_reports.call() == 1
    run_tasks()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.triaged_at is not None and fresh.triaged_at is None


# --- concurrency -------------------------------------------------------------------------------------
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "SQLite: BEGIN IMMEDIATE (settings) takes the write lock at the start of every transaction, so two "
        "triage runs are serialised by the database and cannot interleave; pytest's in-memory SQLite also "
        "cannot serve two threads' write transactions. The race is exercised on PostgreSQL."
    ),
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


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_triage_runs_of_one_report_at_once_make_one_case() -> None:
    report = store_report(URL)
    barrier = threading.Barrier(2, timeout=10)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        results.append(services.triage_report(report_id=report.pk))

    threads = [_in_thread(run, errors) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert Case.objects.count() == 1 and Case.objects.get().report_count == 1
    assert sorted(r.already_done for r in results) == [False, True]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reports_of_one_url_at_once_make_one_case() -> None:
    reports = [store_report(URL), store_report(URL.replace("https://", "HTTPS://"))]
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def runner(report_id: int) -> Any:
        def run() -> None:
            barrier.wait()
            services.triage_report(report_id=report_id)

        return run

    threads = [_in_thread(runner(r.pk), errors) for r in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    case = Case.objects.get()
    assert case.report_count == 2 and case.events.filter(kind="report_attached").count() == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_losing_the_insert_race_attaches_to_the_winners_case() -> None:
    """Deterministic: another transaction inserts the case first and commits while our insert waits on the
    unique index; our insert then fails inside its savepoint and triage attaches to the winner's case."""
    index = blind_index(canonicalize_url(URL).url, purpose=IndexPurpose.CASE_URL)
    report = store_report(URL)
    inserted = threading.Event()
    errors: list[BaseException] = []

    def winner() -> None:
        with transaction.atomic():
            make_case(kind=ReportKind.ONLINE_MATERIAL, state=CaseState.TRIAGED, url_index=index, report_count=1)
            inserted.set()
            # Hold the row until the other connection is blocked on the unique index.
            deadline = timezone.now() + timedelta(seconds=10)
            while timezone.now() < deadline:
                if _waiting_on_lock():
                    break
                threading.Event().wait(0.05)

    def loser() -> None:
        assert inserted.wait(10)
        services.triage_report(report_id=report.pk)

    threads = [_in_thread(winner, errors), _in_thread(loser, errors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    case = Case.objects.get()
    assert case.report_count == 2  # the winner's 1 + this report
    assert report.urls.get().case_id == case.pk


def _waiting_on_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are otherwise frozen per transaction
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        return bool(cursor.fetchone()[0])
