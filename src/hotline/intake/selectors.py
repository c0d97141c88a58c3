"""Reads of the intake app: reports by receipt, public status, a partner's own reports (keys: staff.selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hotline.cases.models import Case, Channel, Report, ReporterMessage
from hotline.cases.selectors import cases_of_reports, reports_of_cases
from hotline.intake.models import HotlineReply
from hotline.intake.public_status import PublicStatus, public_status
from hotline.intake.receipts import is_well_formed, receipt_index


@dataclass(frozen=True)
class ReportStatus:
    public_id: UUID
    received_at: datetime
    status: PublicStatus


def report_by_receipt(code: str) -> Report | None:
    """The report a receipt code belongs to, or None (malformed codes never reach the database)."""
    if not is_well_formed(code):
        return None
    return Report.objects.filter(receipt_index=receipt_index(code)).only("pk", "public_id", "received_at").first()


def case_states_of(report: Report) -> list[str]:
    """States of every case the report reached: its URLs' cases and its situation case."""
    return list(cases_of_reports(report).values_list("state", flat=True))


def status_of(report: Report) -> ReportStatus:
    return ReportStatus(
        public_id=report.public_id, received_at=report.received_at, status=public_status(case_states_of(report))
    )


@dataclass(frozen=True)
class ThreadEntry:
    """One message on the status page's thread: the reporter's own ("reporter") or the hotline's ("hotline")."""

    author: str
    at: datetime
    text: str


def thread_of(report: Report) -> list[ThreadEntry]:
    """What the reporter added to the report through its receipt, oldest first (shown back to whoever holds
    the receipt: they wrote it)."""
    messages = ReporterMessage.objects.filter(report=report).order_by("received_at", "pk")
    replies = HotlineReply.objects.filter(report=report).order_by("sent_at", "pk")
    entries = [ThreadEntry(author="reporter", at=m.received_at, text=m.text) for m in messages]
    entries += [ThreadEntry(author="hotline", at=r.sent_at, text=r.text) for r in replies]
    return sorted(entries, key=lambda e: e.at)


@dataclass(frozen=True)
class ReplyTarget:
    """A report of a case whose reporter can read a reply (it has a receipt), with its thread so far."""

    report_id: int
    received_at: datetime
    thread: list[ThreadEntry]


def reporters_to_reply_to(case: Case) -> list[ReplyTarget]:
    """The case's reports that came with a receipt (public channels and staff-entered ones), oldest first."""
    reports = reports_of_cases(case).exclude(receipt_index="").exclude(channel__in=[Channel.API, Channel.NETWORK])
    return [
        ReplyTarget(report_id=r.pk, received_at=r.received_at, thread=thread_of(r))
        for r in reports.order_by("received_at", "pk")
    ]


def partner_report_status(*, partner: str, public_id: UUID) -> ReportStatus | None:
    """Status of a report sent by `partner` (with any of its keys); None for anyone else's."""
    report = (
        Report.objects.filter(public_id=public_id, partner_key__partner=partner)
        .only("pk", "public_id", "received_at")
        .first()
    )
    return status_of(report) if report is not None else None
