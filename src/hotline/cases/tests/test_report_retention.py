"""The reporter's own texts are erased once every case of the report has been closed for the retention
period (HOTLINE_REPORT_TEXT_RETENTION_DAYS); off unless set; nothing else of the case goes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseState, CloseReason, Report, ReporterMessage
from hotline.cases.services import retention
from hotline.core import retention as core_retention
from hotline.core import scheduler
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TEXTS = {"description": "A page seen in a group chat.", "where_seen": "a chat app", "contact": "reporter@example.test"}


def reported(*urls: str) -> tuple[Report, list[Case]]:
    report = store_report(*urls, **TEXTS)
    ReporterMessage.objects.create(report=report, text="One more detail.")
    case_ids = services.triage_report(report_id=report.pk).case_ids
    return report, list(Case.objects.filter(pk__in=case_ids))


def close(case: Case) -> None:
    services.transition_case(case=case, to_state=CaseState.CLOSED, actor="test", close_reason=CloseReason.REMOVED)


def texts(report: Report) -> tuple[str, str, str, int]:
    report.refresh_from_db()
    return report.description, report.where_seen, report.contact, report.reporter_messages.count()


def test_off_unless_a_period_is_set(settings: Any) -> None:
    report, cases = reported("https://one.example.test/a")
    close(cases[0])
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert services.erase_expired_report_texts() == 0
    assert texts(report) == (*TEXTS.values(), 1)


def test_erased_only_when_every_case_has_been_closed_long_enough(settings: Any) -> None:
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 30
    two_cases, (first, second) = reported("https://one.example.test/a", "https://two.example.test/b")
    still_open, (open_case,) = reported("https://three.example.test/c")
    untriaged = store_report("https://four.example.test/d", **TEXTS)
    close(first)
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        close(second)  # the last case of the report closes later
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert services.erase_expired_report_texts() == 0  # second closed 20 days ago
    with time_machine.travel(timezone.now() + timedelta(days=71)):
        assert services.erase_expired_report_texts() == 1
        assert services.erase_expired_report_texts() == 0  # done once
    assert texts(two_cases) == ("", "", "", 0)
    assert two_cases.texts_erased_at is not None
    assert texts(still_open) == (*TEXTS.values(), 1) and open_case.state != CaseState.CLOSED
    assert texts(untriaged)[:3] == tuple(TEXTS.values())
    # The rest stays: URLs, cases, choices; the raw row holds empty texts, not ciphertext.
    assert [u.url for u in two_cases.urls.order_by("position")] == [
        "https://one.example.test/a",
        "https://two.example.test/b",
    ]
    assert Case.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, where_seen, contact FROM cases_report WHERE id = %s", [two_cases.pk])
        assert cursor.fetchone() == ("", "", "")
    entry = AuditEntry.objects.filter(action="reports.texts_erased").get()
    assert entry.details == {
        "policy": "cases.report_texts", "reports": 1, "report_ids": [two_cases.pk], "messages": 1, "retention_days": 30,
    }  # fmt: skip


def test_a_situation_report_follows_its_case(settings: Any) -> None:
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 10
    report, (case,) = reported()  # no URL: a situation case
    assert report.urls.count() == 0 and case.pk
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert services.erase_expired_report_texts() == 0  # its case is open
        close(case)
    with time_machine.travel(timezone.now() + timedelta(days=41)):
        assert services.erase_expired_report_texts() == 1
    assert texts(report) == ("", "", "", 0)


def test_in_batches_each_with_its_audit_entry(settings: Any, monkeypatch: Any) -> None:
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 1
    monkeypatch.setattr(retention, "ERASE_BATCH", 2)
    for i in range(5):
        close(reported(f"https://many.example.test/{i}")[1][0])
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert services.erase_expired_report_texts() == 5
    entries = AuditEntry.objects.filter(action="reports.texts_erased").order_by("seq")
    assert [e.details["reports"] for e in entries] == [2, 2, 1]


def test_the_case_page_says_the_texts_were_erased(settings: Any, staff_client: Any) -> None:
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 1
    _report, (case,) = reported("https://page.example.test/a")
    close(case)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.erase_expired_report_texts()
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "the retention period ran out" in page and TEXTS["description"] not in page


def test_a_registered_periodic_job() -> None:
    # The retention engine's periodic run applies the policy (every policy, hourly: more often than before).
    job = next(j for j in scheduler.REGISTRY.values() if j.name.endswith("apply_retention"))
    assert job.every <= timedelta(hours=6)
    assert core_retention.policy("cases.report_texts") is retention.REPORT_TEXTS


def test_a_message_added_after_the_erasure_goes_at_the_next_run(settings: Any) -> None:
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 1
    report, (case,) = reported("https://late.example.test/a")
    close(case)
    later = timezone.now() + timedelta(days=2)
    with time_machine.travel(later, tick=False):
        assert services.erase_expired_report_texts() == 1
    erased_at = Report.objects.get(pk=report.pk).texts_erased_at
    ReporterMessage.objects.create(report=report, text="Written with the receipt code afterwards.")
    with time_machine.travel(later + timedelta(hours=6)):
        assert services.erase_expired_report_texts() == 1
        assert services.erase_expired_report_texts() == 0
    assert texts(report) == ("", "", "", 0)
    assert Report.objects.get(pk=report.pk).texts_erased_at == erased_at  # the first erasure time stays


def test_a_reopened_case_keeps_its_reports_texts(settings: Any) -> None:
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 10
    report, (case,) = reported("https://reopened.example.test/a")
    close(case)
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        services.transition_case(case=Case.objects.get(pk=case.pk), to_state=CaseState.TRIAGED, actor="test")
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert services.erase_expired_report_texts() == 0
    assert texts(report) == (*TEXTS.values(), 1)
