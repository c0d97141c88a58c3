"""Services: one transaction per report (report, URLs, task, audit), nothing stored in clear (keys: staff tests)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.cases.models import Channel, Report, ReportedUrl, ReporterMessage
from hotline.cases.tasks import triage_reports
from hotline.core import taskqueue
from hotline.core.audit import verify
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.core.models import AuditEntry, RateCounter
from hotline.intake import demo, services
from hotline.intake.models import IdempotencyRecord
from hotline.intake.ratelimit import RateLimiter
from hotline.intake.receipts import receipt_index
from hotline.intake.rules import ReportInput
from hotline.staff import services as staff_services
from hotline.staff.models import PartnerKey

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def test_submit_report_writes_everything_in_one_go() -> None:
    submitted = services.submit_report(
        channel=Channel.WEB,
        kind="online_material",
        urls=["https://secret-path.example/abc", "https://other.example/def"],
        description="Private words of the reporter",
        contact="reporter@mail.example",
        where_seen="A chat group",
    )
    report = submitted.report
    assert len(submitted.receipt) == 16 and report.receipt_index == receipt_index(submitted.receipt)
    urls = list(ReportedUrl.objects.filter(report=report))
    assert [u.url_index for u in urls] == [blind_index(u.url, purpose=IndexPurpose.REPORTED_URL) for u in urls]
    task = DBTaskResult.objects.get()
    assert task.task_path == triage_reports.module_path and task.args_kwargs["args"] == [report.pk]
    # Public reports reach the audit log through triage (system actor), not on the public hot path.
    assert not AuditEntry.objects.filter(action="report.received").exists()
    assert verify()[1] is None
    stored = raw_rows("cases_report") + raw_rows("cases_reportedurl") + raw_rows("staff_auditentry")
    stored += raw_rows("django_tasks_database_dbtaskresult")
    for secret in ("secret-path", "Private words", "reporter@mail", "A chat group", submitted.receipt):
        assert secret not in stored


def test_rejected_report_stores_nothing() -> None:
    with pytest.raises(services.ReportRejected) as rejected:
        services.submit_report(
            channel=Channel.WEB, kind="online_material", urls=["https://ok.example/", "http://10.0.0.1/"]
        )
    assert set(rejected.value.problems) == {"urls.1"}
    with pytest.raises(services.ReportRejected):
        services.submit_report(channel="carrier-pigeon", kind="other", description="x")
    assert Report.objects.count() == ReportedUrl.objects.count() == DBTaskResult.objects.count() == 0
    assert not AuditEntry.objects.filter(action="report.received").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("public", [False, True])
def test_a_failure_inside_the_write_leaves_no_half_report(monkeypatch: Any, public: bool) -> None:
    """Fault injection: the database refuses the last row (the triage task) after the rate count, the
    report and its URLs were written: nothing of it stays (one statement on PostgreSQL, one
    transaction on SQLite)."""
    real_task_values = taskqueue.task_values

    def out_of_range_priority(task: Any, args: Any) -> Any:
        values = real_task_values(task, args)
        values["priority"] = 1000  # the task table's CHECK constraint allows -100..100
        return values

    monkeypatch.setattr(taskqueue, "task_values", out_of_range_priority)
    report = {"channel": Channel.WEB, "kind": "other", "urls": ["https://a.example/", "https://b.example/"]}
    with pytest.raises(IntegrityError):
        if public:
            services.submit_public_report(client="192.0.2.7", **report)
        else:
            services.submit_report(**report)
    assert Report.objects.count() == ReportedUrl.objects.count() == DBTaskResult.objects.count() == 0
    assert RateCounter.objects.count() == 0
    monkeypatch.undo()
    services.submit_public_report(client="192.0.2.7", **report)  # the connection is usable afterwards
    assert (Report.objects.count(), ReportedUrl.objects.count(), DBTaskResult.objects.count()) == (1, 2, 1)
    assert RateCounter.objects.get().count == 1


def test_channels_and_actors() -> None:
    key, _ = staff_services.create_partner_key(partner="Operator", actor="test")
    api = services.submit_report(
        channel=Channel.API, kind="other", description="x", source_name="Operator", partner_key=key
    )
    net = services.submit_report(channel=Channel.NETWORK, kind="other", description="x", source_name="NL hotline")
    assert api.receipt == net.receipt == "" and api.report.receipt_index == ""
    assert {api.report.source_name, net.report.source_name} == {"Operator", "NL hotline"}
    # Partner reports are audited by triage, like public ones; only staff entry writes its own entry.
    assert not AuditEntry.objects.filter(action="report.received").exists()


def test_batch_rows_match_single_enqueue() -> None:
    key, _ = staff_services.create_partner_key(partner="Operator", actor="test")
    single = services.submit_report(
        channel=Channel.API, kind="other", description="one", partner_key=key, source_name="Operator"
    )
    reports = services.submit_report_batch(
        partner_key=key, reports=[ReportInput(urls=[f"https://h.example/{i}"]) for i in range(3)]
    )
    rows = {t.args_kwargs["args"][0]: t for t in DBTaskResult.objects.all()}
    one = rows[single.report.pk]
    for report in reports:
        row = rows[report.pk]
        for name in ("task_path", "priority", "queue_name", "backend_name", "run_after", "status", "args_kwargs"):
            if name != "args_kwargs":
                assert getattr(row, name) == getattr(one, name), name
        assert row.args_kwargs == {"args": [report.pk], "kwargs": {}}
    assert DBTaskResult.objects.ready().count() == 4
    entry = AuditEntry.objects.get(action="report.batch_received")
    assert entry.details["report_ids"] == [r.pk for r in reports] and entry.actor_label == "partner:Operator"


def test_batch_rejects_everything_when_one_is_bad() -> None:
    key, _ = staff_services.create_partner_key(partner="Operator", actor="test")
    with pytest.raises(services.BatchRejected) as rejected:
        services.submit_report_batch(partner_key=key, reports=[ReportInput(urls=["https://a.example/"]), ReportInput()])
    assert list(rejected.value.problems) == [1]
    assert Report.objects.count() == 0


def test_answer_once_replays_and_expires() -> None:
    calls = []

    def produce() -> tuple[int, dict[str, Any]]:
        calls.append(1)
        return 201, {"n": len(calls)}

    first = services.answer_once(partner="P", idempotency_key="k", request_hash="h", produce=produce)
    again = services.answer_once(partner="P", idempotency_key="k", request_hash="h", produce=produce)
    assert (first.body, again.body, again.replayed, len(calls)) == ({"n": 1}, {"n": 1}, True, 1)
    with pytest.raises(services.IdempotencyConflict):
        services.answer_once(partner="P", idempotency_key="k", request_hash="other", produce=produce)
    assert IdempotencyRecord.objects.get().key_hash != "k"
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        later = services.answer_once(partner="P", idempotency_key="k", request_hash="h", produce=produce)
        assert later.body == {"n": 2} and not later.replayed
        assert services.purge_idempotency_records() == 0  # the expired one was replaced
    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        assert services.purge_idempotency_records() == 1


def test_reporter_message_is_encrypted_and_audited_without_text() -> None:
    report = services.submit_report(channel=Channel.WEB, kind="other", description="x").report
    message = services.add_reporter_message(report=report, text="  Reposted at another place  ")
    assert ReporterMessage.objects.get().text == "Reposted at another place"
    assert "Reposted" not in raw_rows("intake_reportermessage") + raw_rows("staff_auditentry")
    assert AuditEntry.objects.get(action="report.message_added").details == {"message_id": message.pk}
    with pytest.raises(services.ReportRejected):
        services.add_reporter_message(report=report, text="   ")


def test_rate_limit_counters_hold_no_address_and_are_purged(settings: Any) -> None:
    from hotline.core.tasks import purge_rate_counters

    limiter = RateLimiter("test", limit=2, period=60)
    assert limiter.hit("203.0.113.77").allowed and limiter.hit("203.0.113.77").allowed
    assert not limiter.hit("203.0.113.77").allowed and limiter.hit("203.0.113.78").allowed
    assert "203.0.113.77" not in raw_rows("core_ratecounter")
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert purge_rate_counters.call() == 2
        assert limiter.peek("203.0.113.77").count == 0


def test_demo_data_is_idempotent() -> None:
    out = io.StringIO()
    demo.load(out)
    demo.load(out)
    assert PartnerKey.objects.filter(prefix="demo0000").count() == 1
    assert Report.objects.count() == len(demo.DEMO_REPORTS) + 1
    assert "hlk_demo0000_" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_idempotency_key_create_one_report() -> None:
    import threading

    from django.db import connections

    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory test database (shared cache) fails with 'table is locked' instead of waiting; "
            "the real SQLite file serialises writers (BEGIN IMMEDIATE + busy timeout): see test_intake_server"
        )
    key, _ = staff_services.create_partner_key(partner="Racer", actor="test")
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(
                services.submit_partner_report(
                    partner_key=key,
                    report=ReportInput(urls=["https://race.example/1"]),
                    idempotency_key="same-key",
                    request_hash="h",
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 2 and answers[0].body == answers[1].body
    assert Report.objects.filter(partner_key=key).count() == 1
