"""Retention of cases by outcome, of reporters' contacts, reported URLs and analysts' notes: each policy takes what
is due at its period (not a second earlier) and nothing else; anonymised cases still count in the statistics."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseNote,
    CaseState,
    CloseReason,
    Report,
    ReportedUrl,
    Verdict,
)
from hotline.cases.services import case_retention, retention
from hotline.core import retention as engine
from hotline.core.audit import verify
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TEXTS = {"description": "A page seen in a forum.", "where_seen": "a forum", "contact": "reporter@example.test"}
DAYS = 30


def make_case(url: str, analyst: Any, *, verdict: str | None, close_reason: str, at: datetime) -> Case:
    """A triaged case with a note, an assessment (when `verdict`) and closed at `at`."""
    report = store_report(url, **TEXTS)
    case = Case.objects.get(pk=services.triage_report(report_id=report.pk).case_ids[0])
    CaseNote.objects.create(case=case, author=analyst, text="Seen by the analyst; nothing more to add.")
    if verdict:
        Assessment.objects.create(
            case=case, analyst=analyst, verdict=verdict, kind=case.kind, status=AssessmentStatus.CONFIRMED,
            reasoning="Why the analyst decided so.",
        )  # fmt: skip
    with time_machine.travel(at, tick=False):
        services.transition_case(
            case=Case.objects.get(pk=case.pk), to_state=CaseState.CLOSED, actor="test", close_reason=close_reason
        )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def outcomes(make_staff: Any) -> dict[str, Case]:
    analyst = make_staff("analyst")
    closed_at = timezone.now() + timedelta(minutes=1)  # after the reports came in
    return {
        "not_illegal": make_case(
            "https://a.example.test/1", analyst, verdict=Verdict.NOT_CSAM, close_reason=CloseReason.NOT_ILLEGAL,
            at=closed_at,
        ),
        "never_assessed": make_case(
            "https://b.example.test/2", analyst, verdict=None, close_reason=CloseReason.UNREACHABLE, at=closed_at
        ),
        "illegal_removed": make_case(
            "https://c.example.test/3", analyst, verdict=Verdict.CSAM_BASELINE, close_reason=CloseReason.REMOVED,
            at=closed_at,
        ),
        "illegal_not_removed": make_case(
            "https://d.example.test/4", analyst, verdict=Verdict.CSAM_NATIONAL,
            close_reason=CloseReason.NO_ACTION_POSSIBLE, at=closed_at,
        ),
    }  # fmt: skip


def anonymised(case: Case) -> bool:
    case.refresh_from_db()
    return case.erased_at is not None


def statistics() -> Counter[tuple[int, str, str, str]]:
    """Cases per year, kind, verdict and close reason, as a yearly report counts them."""
    rows = Case.objects.annotate(verdict=case_retention._verdict()).values_list(
        "created_at", "kind", "verdict", "close_reason"
    )
    return Counter((created.year, kind, verdict or "", reason) for created, kind, verdict, reason in rows)


@pytest.mark.parametrize(
    ("setting", "erased"),
    [
        ("HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS", {"not_illegal", "never_assessed"}),
        ("HOTLINE_CASE_ILLEGAL_REMOVED_RETENTION_DAYS", {"illegal_removed"}),
        ("HOTLINE_CASE_ILLEGAL_NOT_REMOVED_RETENTION_DAYS", {"illegal_not_removed"}),
    ],
)
def test_each_outcome_policy_takes_its_cases_at_the_period_and_no_other(
    outcomes: dict[str, Case], settings: Any, setting: str, erased: set[str]
) -> None:
    closed_at = outcomes["not_illegal"].state_changed_at
    with time_machine.travel(closed_at + timedelta(days=3650), tick=False):
        assert engine.run_all() and not any(anonymised(c) for c in outcomes.values())  # every period unset: kept
    setattr(settings, setting, DAYS)
    before = statistics()
    with time_machine.travel(closed_at + timedelta(days=DAYS) - timedelta(seconds=1), tick=False):
        assert sum(o.count for o in engine.run_all()) == 0  # one second early
    with time_machine.travel(closed_at + timedelta(days=DAYS), tick=False):
        assert sum(o.count for o in engine.run_all()) == len(erased)
        assert sum(o.count for o in engine.run_all()) == 0  # once
    assert {name for name, case in outcomes.items() if anonymised(case)} == erased
    assert statistics() == before  # the yearly counts survive the erasure of what they count
    assert verify()[1] is None


def test_an_anonymised_case_keeps_what_the_statistics_count_and_loses_the_rest(
    outcomes: dict[str, Case], settings: Any
) -> None:
    settings.HOTLINE_CASE_ILLEGAL_REMOVED_RETENTION_DAYS = DAYS
    case = outcomes["illegal_removed"]
    other = outcomes["illegal_not_removed"]
    report = Report.objects.get(urls__case=case)
    with time_machine.travel(case.state_changed_at + timedelta(days=DAYS + 1)):
        assert engine.run_policy("cases.illegal_removed").count == 1
    case.refresh_from_db()
    assert (case.canonical_url, case.url_index, case.host, case.registered_domain) == ("", None, "", "")
    assert (case.state, case.close_reason, case.kind) == (CaseState.CLOSED, CloseReason.REMOVED, "online_material")
    assessment = case.assessments.get()
    assert (assessment.verdict, assessment.reasoning) == (Verdict.CSAM_BASELINE, "")
    assert not case.notes.exists() and other.notes.exists()
    report.refresh_from_db()
    assert (report.description, report.where_seen, report.contact) == ("", "", "")
    assert report.channel == "web" and report.texts_erased_at is not None
    url = ReportedUrl.objects.get(report=report)
    assert (url.url, url.url_index, url.case_id) == ("", "", case.pk)  # the report still counts for its case
    with connection.cursor() as cursor:  # blanked, not re-encrypted
        cursor.execute("SELECT canonical_url FROM cases_case WHERE id = %s", [case.pk])
        assert cursor.fetchone() == ("",)
    entry = AuditEntry.objects.get(action="cases.anonymised")
    assert entry.details["policy"] == "cases.illegal_removed" and entry.details["case_ids"] == [case.pk]
    assert "c.example.test" not in str(entry.details)
    # The URL reported again: a new case (the old one no longer knows its URL).
    again = store_report("https://c.example.test/3")
    new_ids = services.triage_report(report_id=again.pk).case_ids
    assert new_ids and case.pk not in new_ids


def test_a_case_reopened_before_its_period_ends_is_kept(outcomes: dict[str, Case], settings: Any) -> None:
    settings.HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS = DAYS
    case = outcomes["not_illegal"]
    with time_machine.travel(case.state_changed_at + timedelta(days=DAYS - 1)):
        services.transition_case(case=Case.objects.get(pk=case.pk), to_state=CaseState.TRIAGED, actor="test")
    with time_machine.travel(case.state_changed_at + timedelta(days=DAYS * 3)):
        engine.run_policy("cases.not_illegal")
    assert not anonymised(case)


def test_contact_urls_and_notes_each_go_at_their_own_period(outcomes: dict[str, Case], settings: Any) -> None:
    settings.HOTLINE_REPORTER_CONTACT_RETENTION_DAYS = 10
    settings.HOTLINE_REPORTED_URL_RETENTION_DAYS = 20
    settings.HOTLINE_CASE_NOTE_RETENTION_DAYS = 40
    closed_at = outcomes["not_illegal"].state_changed_at
    open_report = store_report("https://open.example.test/5", **TEXTS)
    services.triage_report(report_id=open_report.pk)
    open_case = Case.objects.get(reported_urls__report=open_report)
    reports = Report.objects.exclude(pk=open_report.pk)
    with time_machine.travel(closed_at + timedelta(days=10), tick=False):
        assert engine.run_policy(retention.REPORTER_CONTACT).count == 4
        assert engine.run_policy(retention.REPORTED_URLS).count == 0
    assert [r.contact for r in reports] == [""] * 4 and all(r.description for r in reports)
    with time_machine.travel(closed_at + timedelta(days=20) - timedelta(microseconds=1), tick=False):
        assert engine.run_policy(retention.REPORTED_URLS).count == 0
    with time_machine.travel(closed_at + timedelta(days=20), tick=False):
        assert engine.run_policy(retention.REPORTED_URLS).count == 4
        assert engine.run_policy(retention.CASE_NOTES).count == 0
    assert all(u.url == "" for u in ReportedUrl.objects.exclude(report=open_report))
    with time_machine.travel(closed_at + timedelta(days=40), tick=False):
        assert engine.run_policy(retention.CASE_NOTES).count == 4
    assert not CaseNote.objects.exclude(case=open_case).exists()
    # The open case's report keeps everything, and no case was anonymised by these policies.
    open_report.refresh_from_db()
    assert (open_report.contact, open_report.urls.get().url) == (TEXTS["contact"], "https://open.example.test/5")
    assert not Case.objects.filter(erased_at__isnull=False).exists()
    assert set(AuditEntry.objects.filter(object_type="retention").values_list("action", flat=True)) == {
        "reports.contact_erased", "reports.urls_erased", "cases.notes_deleted",
    }  # fmt: skip


def test_the_case_page_says_the_case_was_anonymised(
    outcomes: dict[str, Case], settings: Any, staff_client: Any
) -> None:
    settings.HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS = 1
    case = outcomes["not_illegal"]
    with time_machine.travel(case.state_changed_at + timedelta(days=2)):
        engine.run_policy("cases.not_illegal")
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "when its retention period ran out: URL, host" in page and "a.example.test" not in page
