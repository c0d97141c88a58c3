"""The retention engine across apps: every record type has a registered policy, batches each with its audit entry,
the dry run writes nothing, and pruning the audit log leaves a chain `manage.py verify_audit` still proves."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from hotline.cases.models import Report
from hotline.core import audit, retention
from hotline.core.audit_archive import verify_archives
from hotline.core.models import AuditArchive, AuditEntry, RateCounter
from hotline.intake.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

EVERY_TYPE = {
    "cases.not_illegal", "cases.illegal_removed", "cases.illegal_not_removed", "cases.report_texts",
    "cases.reporter_contact", "cases.reported_urls", "cases.notes", "referrals.police_packages",
    "referrals.of_anonymised_cases", "campaigns.petition_signers", "campaigns.pending_signatures",
    "campaigns.newsletter_unconfirmed", "campaigns.newsletter_unsubscribed", "campaigns.petition_exports",
    "intake.idempotency", "intake.hotline_replies", "core.rate_counters", "core.audit_log",
    "intel.payment_indicators", "intel.coalition_exports",
}  # fmt: skip


def idempotency_records(n: int, *, hours_ago: float) -> None:
    at = timezone.now() - timedelta(hours=hours_ago)
    for i in range(n):
        record = IdempotencyRecord.objects.create(
            partner="P", key_hash=f"{hours_ago}-{i}", request_hash="h", status_code=201, response_body={}
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=at)


def entries(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            audit.record(actor="test", action="test.something", object_type="thing", object_id=i)


def test_every_record_type_has_a_policy_and_the_audit_log_goes_last() -> None:
    names = [p.name for p in retention.policies()]
    assert set(names) == EVERY_TYPE
    assert names[-1] == "core.audit_log"


def test_batches_each_in_one_transaction_with_an_audit_entry_of_counts() -> None:
    idempotency_records(5, hours_ago=25)
    idempotency_records(2, hours_ago=23)  # within the 24 hours: kept
    outcome = retention.run_policy("intake.idempotency", batch=2)
    assert (outcome.count, outcome.batches) == (5, 3)
    assert IdempotencyRecord.objects.count() == 2
    logged = AuditEntry.objects.filter(action="intake.idempotency_records_deleted").order_by("seq")
    assert [e.details for e in logged] == [
        {"policy": "intake.idempotency", "deleted": n, "older_than_hours": 24} for n in (2, 2, 1)
    ]
    assert retention.run_policy("intake.idempotency").count == 0
    assert AuditEntry.objects.filter(action="intake.idempotency_records_deleted").count() == 3  # nothing: no entry


def test_the_dry_run_prints_each_policy_and_writes_nothing(settings: Any) -> None:
    from hotline.cases.factories import store_report

    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 1
    idempotency_records(3, hours_ago=30)
    RateCounter.objects.create(key="k1", count=1, expires_at=timezone.now() - timedelta(minutes=1))
    store_report("https://dry.example.test/a", description="A neutral description.")
    before = (IdempotencyRecord.objects.count(), RateCounter.objects.count(), AuditEntry.objects.count())
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert (IdempotencyRecord.objects.count(), RateCounter.objects.count(), AuditEntry.objects.count()) == before
    lines = {line.split()[0]: line for line in text.splitlines()[1:] if line.strip()}
    assert set(lines) == EVERY_TYPE
    assert "would take 3" in lines["intake.idempotency"] and "would take 1" in lines["core.rate_counters"]
    assert "keep (HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS unset)" in lines["cases.not_illegal"]
    assert "keep (HOTLINE_AUDIT_RETENTION_DAYS unset)" in lines["core.audit_log"]
    assert "1 days (HOTLINE_REPORT_TEXT_RETENTION_DAYS)" in lines["cases.report_texts"]
    assert "would take 0" in lines["cases.report_texts"]  # untriaged: not due
    assert "dry.example.test" not in text and Report.objects.get().description


def test_the_command_without_dry_run_erases_and_the_periodic_task_runs_every_policy(run_tasks: Any) -> None:
    from hotline.core import scheduler
    from hotline.core.tasks import apply_retention

    assert scheduler.REGISTRY["hotline.core.tasks.apply_retention"].every == timedelta(hours=1)
    idempotency_records(2, hours_ago=30)
    out = io.StringIO()
    call_command("retention", "--policy", "intake.idempotency", stdout=out)
    assert "took 2 in 1 batch(es)" in out.getvalue() and not IdempotencyRecord.objects.exists()
    idempotency_records(1, hours_ago=30)
    result = apply_retention.enqueue()
    run_tasks()
    result.refresh()
    assert result.return_value["intake.idempotency"] == 1
    assert "core.audit_log" not in result.return_value  # kept: no period set


def test_rate_counters_go_at_the_end_of_their_window() -> None:
    now = timezone.now()
    RateCounter.objects.create(key="ended", count=3, expires_at=now)
    RateCounter.objects.create(key="running", count=3, expires_at=now + timedelta(microseconds=1))
    assert retention.run_policy("core.rate_counters", now=now).count == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["running"]


def test_the_audit_log_is_archived_and_pruned_and_still_verifies(settings: Any, tmp_path: Path) -> None:
    settings.HOTLINE_AUDIT_ARCHIVE_DIR = str(tmp_path / "archive")
    entries(12)
    old_anchor = AuditEntry.objects.get(seq=5)
    with time_machine.travel(timezone.now() + timedelta(days=100)):
        entries(3)  # young entries: kept
        newest = AuditEntry.objects.order_by("-seq").first()
        assert newest is not None
        out = io.StringIO()
        call_command("retention", "--dry-run", stdout=out)
        assert "keep (HOTLINE_AUDIT_RETENTION_DAYS unset)" in out.getvalue()
        settings.HOTLINE_AUDIT_RETENTION_DAYS = 99
        outcome = retention.run_policy("core.audit_log", batch=5)
    assert (outcome.count, outcome.batches) == (12, 3)
    assert sorted(AuditEntry.objects.values_list("seq", flat=True))[0] == 13
    assert [(a.first_seq, a.up_to_seq, a.entries) for a in AuditArchive.objects.order_by("up_to_seq")] == [
        (1, 5, 5), (6, 10, 5), (11, 12, 2),
    ]  # fmt: skip
    archived = AuditEntry.objects.filter(action="audit.archived").order_by("seq")
    assert [e.details["entries"] for e in archived] == [5, 5, 2]
    assert (tmp_path / "archive" / "audit-000000000001-000000000005.jsonl").stat().st_mode & 0o777 == 0o600
    checked, broken = audit.verify()
    assert broken is None and checked == AuditEntry.objects.count()
    assert verify_archives() == (12, None)
    out = io.StringIO()
    call_command("verify_audit", "--archives", "--anchor", f"5:{old_anchor.hash}", stdout=out)
    assert "OK:" in out.getvalue() and "Entries 1 to 12 were archived" in out.getvalue()
    assert newest.hash in {e.hash for e in AuditEntry.objects.all()}  # the young entries and the head stay


def test_a_changed_archive_or_a_removed_entry_is_caught(settings: Any, tmp_path: Path) -> None:
    settings.HOTLINE_AUDIT_ARCHIVE_DIR = str(tmp_path)
    entries(6)
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        entries(2)
        settings.HOTLINE_AUDIT_RETENTION_DAYS = 5
        retention.run_policy("core.audit_log")
    file = next(tmp_path.glob("audit-*.jsonl"))
    file.write_bytes(file.read_bytes().replace(b"test.something", b"test.otherthing", 1))
    assert verify_archives()[1] is not None
    with pytest.raises(SystemExit):
        call_command("verify_audit", "--archives", stdout=io.StringIO(), stderr=io.StringIO())
    # Deleting the oldest entry left in the table (without an archive) breaks the chain.
    AuditEntry.objects.filter(seq=7).delete()
    assert audit.verify()[1] is not None


def test_a_batch_is_fast_enough(settings: Any) -> None:
    """Figure for the report: idempotency rows deleted per second in batches of 500 (noisy on a shared machine)."""
    idempotency_records(2000, hours_ago=30)
    started = time.perf_counter()
    assert retention.run_policy("intake.idempotency", batch=500).count == 2000
    elapsed = time.perf_counter() - started
    print(f"retention: 2000 rows in 4 batches, {2000 / elapsed:.0f} rows/s")
    assert elapsed < 30
