"""Retention of the reporter's own texts: erased once every case of the report has been closed long enough."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.cases import conf
from hotline.cases.models import Case, CaseState, Report, ReporterMessage
from hotline.cases.selectors.links import cases_of_reports, reached_none_of
from hotline.cases.services._shared import SYSTEM
from hotline.core import audit

ERASE_BATCH = 500  # reports per transaction (and per audit entry)


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
    days = conf.report_text_retention_days()
    if days is None:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    unfinished = Case.objects.exclude(state=CaseState.CLOSED, state_changed_at__lte=cutoff)
    expired = Report.objects.filter(reached_none_of(unfinished), triaged_at__isnull=False, received_at__lte=cutoff)
    # Reports not yet erased, and erased ones that got a message since (by the receipt code).
    due = expired.filter(Q(texts_erased_at=None) | Q(reporter_messages__isnull=False)).distinct().order_by("pk")
    erased = 0
    while candidates := list(due.values_list("pk", flat=True)[:ERASE_BATCH]):
        with transaction.atomic():
            list(cases_of_reports(candidates).select_for_update().order_by("pk").values_list("pk", flat=True))
            ids = list(due.filter(pk__in=candidates).values_list("pk", flat=True))  # again, under the locks
            count = Report.objects.filter(pk__in=ids).update(
                description="", where_seen="", contact="", texts_erased_at=Coalesce(F("texts_erased_at"), Value(now))
            )
            messages, _counts = ReporterMessage.objects.filter(report_id__in=ids).delete()
            audit.record(
                actor=SYSTEM,
                action="reports.texts_erased",
                object_type="report",
                details={"reports": count, "report_ids": ids, "messages": messages, "retention_days": days},
            )
        erased += count
    return erased
