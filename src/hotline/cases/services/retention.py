"""Retention of what reporters sent and analysts wrote, once the cases it belongs to have been closed long enough:
the reporter's texts, the reporter's contact, the URLs exactly as reported, and the analysts' notes. Each is a
policy of the retention engine (hotline.core.retention), registered in CasesConfig.ready(); cases themselves, by
verdict, are in services.case_retention."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from hotline.cases import conf
from hotline.cases.models import Case, CaseNote, CaseState, Report, ReportedUrl, ReporterMessage
from hotline.cases.selectors.links import cases_of_reports, reached_none_of
from hotline.core.retention import RetentionPolicy, holds_text, run_policy

ERASE_BATCH = 500  # reports per transaction (and per audit entry) when called as erase_expired_report_texts


def _days(period: int | None) -> int:
    assert period is not None  # the engine calls due/erase only when a period is set
    return period


def finished_reports(days: int, now: datetime) -> QuerySet[Report]:
    """Triaged reports whose every case (each URL's case, or the situation case) has been closed for `days`. A
    triaged report whose cases an administrator deleted counts as closed since it was received."""
    cutoff = now - timedelta(days=days)
    unfinished = Case.objects.exclude(state=CaseState.CLOSED, state_changed_at__lte=cutoff)
    return Report.objects.filter(reached_none_of(unfinished), triaged_at__isnull=False, received_at__lte=cutoff)


def _lock_cases_of(report_ids: list[int]) -> None:
    # Triage reopens a case under the same lock: after it, the caller checks again that each row is still due.
    list(cases_of_reports(report_ids).select_for_update().order_by("pk").values_list("pk", flat=True))


# --- the reporter's texts ---------------------------------------------------------------------------
def _due_texts(now: datetime) -> QuerySet[Report]:
    expired = finished_reports(_days(conf.report_text_retention_days()), now)
    # Reports not yet erased, and erased ones that got a message since (by the receipt code).
    return expired.filter(Q(texts_erased_at=None) | Q(reporter_messages__isnull=False)).distinct()


def _erase_texts(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    _lock_cases_of(candidates)
    ids = list(_due_texts(now).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
    count = Report.objects.filter(pk__in=ids).update(
        description="", where_seen="", contact="", texts_erased_at=Coalesce(F("texts_erased_at"), Value(now))
    )
    messages, _counts = ReporterMessage.objects.filter(report_id__in=ids).delete()
    days = conf.report_text_retention_days()
    return count, {"reports": count, "report_ids": ids, "messages": messages, "retention_days": days}


REPORT_TEXTS = RetentionPolicy(
    name="cases.report_texts",
    record_type=_("Reporters' texts (description, where seen, contact, later messages)"),
    action=_("blanked; URLs, choices and times stay"),
    setting="HOTLINE_REPORT_TEXT_RETENTION_DAYS",
    unit="days",
    period=conf.report_text_retention_days,
    due=_due_texts,
    erase=_erase_texts,
    audit_action="reports.texts_erased",
    order=30,
)


def erase_expired_report_texts(*, now: datetime | None = None) -> int:
    """Erase the reporter's own texts (description, where seen, contact, later messages) of every report
    whose cases have all been closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS. Off when that is unset.

    The rest stays: the reported URLs (their cases need them), the form's choices, the times, and the
    hotline's own work (assessments, referrals). A report that is untriaged, or has any case still
    open or closed too recently, is left alone; a case reopened later keeps what is left. A message a
    reporter adds after the erasure goes at the next run while the cases stay closed (the first
    erasure time is kept). Each batch locks its cases (triage reopens a case under the same lock)
    and checks again before it writes, in one transaction with one audit entry (report ids and
    numbers only). Returns how many reports.
    """
    return run_policy(REPORT_TEXTS, now=now, batch=ERASE_BATCH).count


# --- the reporter's contact -------------------------------------------------------------------------
def _due_contacts(now: datetime) -> QuerySet[Report]:
    return finished_reports(_days(conf.reporter_contact_retention_days()), now).filter(holds_text("contact"))


def _erase_contacts(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    _lock_cases_of(candidates)
    ids = list(_due_contacts(now).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
    count = Report.objects.filter(pk__in=ids).update(contact="")
    return count, {"reports": count, "report_ids": ids, "retention_days": conf.reporter_contact_retention_days()}


REPORTER_CONTACT = RetentionPolicy(
    name="cases.reporter_contact",
    record_type=_("Reporters' contact details"),
    action=_("blanked; the rest of the report stays"),
    setting="HOTLINE_REPORTER_CONTACT_RETENTION_DAYS",
    unit="days",
    period=conf.reporter_contact_retention_days,
    due=_due_contacts,
    erase=_erase_contacts,
    audit_action="reports.contact_erased",
    order=31,
)


# --- the URLs exactly as reported -------------------------------------------------------------------
def _due_urls(now: datetime) -> QuerySet[ReportedUrl]:
    reports = finished_reports(_days(conf.reported_url_retention_days()), now)
    return ReportedUrl.objects.filter(holds_text("url"), report__in=reports.values("pk"))


def _erase_urls(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    report_ids = sorted(set(ReportedUrl.objects.filter(pk__in=candidates).values_list("report_id", flat=True)))
    _lock_cases_of(report_ids)
    ids = list(_due_urls(now).filter(pk__in=candidates).values_list("pk", flat=True))
    # The row stays (the report still counts for its case); the URL and its blind index go, the case keeps its
    # own canonical URL until the case's policy erases it.
    count = ReportedUrl.objects.filter(pk__in=ids).update(url="", url_index="", problem="")
    return count, {"urls": count, "report_ids": report_ids, "retention_days": conf.reported_url_retention_days()}


REPORTED_URLS = RetentionPolicy(
    name="cases.reported_urls",
    record_type=_("URLs exactly as reported (and their blind index)"),
    action=_("blanked; the link to the case stays"),
    setting="HOTLINE_REPORTED_URL_RETENTION_DAYS",
    unit="days",
    period=conf.reported_url_retention_days,
    due=_due_urls,
    erase=_erase_urls,
    audit_action="reports.urls_erased",
    order=32,
)


# --- analysts' notes --------------------------------------------------------------------------------
def _due_notes(now: datetime) -> QuerySet[CaseNote]:
    cutoff = now - timedelta(days=_days(conf.case_note_retention_days()))
    return CaseNote.objects.filter(case__state=CaseState.CLOSED, case__state_changed_at__lte=cutoff)


def _delete_notes(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    case_ids = CaseNote.objects.filter(pk__in=candidates).values("case_id")
    locked = list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").values_list("pk", flat=True))
    deleted, _counts = _due_notes(now).filter(pk__in=candidates).delete()
    return deleted, {"notes": deleted, "case_ids": locked, "retention_days": conf.case_note_retention_days()}


CASE_NOTES = RetentionPolicy(
    name="cases.notes",
    record_type=_("Analysts' notes on cases"),
    action=_("deleted; the timeline keeps that a note was written"),
    setting="HOTLINE_CASE_NOTE_RETENTION_DAYS",
    unit="days",
    period=conf.case_note_retention_days,
    due=_due_notes,
    erase=_delete_notes,
    audit_action="cases.notes_deleted",
    order=33,
)
