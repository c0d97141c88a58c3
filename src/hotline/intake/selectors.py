"""Reads of the intake app: reports by receipt, public status, a partner's own reports (keys: staff.selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hotline.cases.models import Report
from hotline.cases.selectors import cases_of_reports
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


def partner_report_status(*, partner: str, public_id: UUID) -> ReportStatus | None:
    """Status of a report sent by `partner` (with any of its keys); None for anyone else's."""
    report = (
        Report.objects.filter(public_id=public_id, partner_key__partner=partner)
        .only("pk", "public_id", "received_at")
        .first()
    )
    return status_of(report) if report is not None else None
