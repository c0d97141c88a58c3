"""Reads of the intake app: reports by receipt, public status, a partner's own reports, partner keys."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import Count, Q, QuerySet

from hotline.cases.models import Case, Report
from hotline.intake.models import PartnerKey, ReporterMessage
from hotline.intake.receipts import is_well_formed, receipt_index
from hotline.intake.services import hash_partner_key
from hotline.intake.status import PublicStatus, public_status


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
    return list(
        Case.objects.filter(Q(reported_urls__report_id=report.pk) | Q(situation_reports__pk=report.pk))
        .distinct()
        .values_list("state", flat=True)
    )


def status_of(report: Report) -> ReportStatus:
    return ReportStatus(
        public_id=report.public_id, received_at=report.received_at, status=public_status(case_states_of(report))
    )


def partner_key_for(token: str) -> PartnerKey | None:
    """The key record for a presented bearer token (revoked ones included; the caller decides)."""
    if not token or len(token) > 200:
        return None
    # One plain SELECT by the unique key_hash (the ORM's query building cost more than the query itself).
    table = connection.ops.quote_name(PartnerKey._meta.db_table)
    found = PartnerKey.objects.raw(
        f"SELECT * FROM {table} WHERE key_hash = %s",  # noqa: S608 (our table name)  # nosec B608
        [hash_partner_key(token)],
    )
    return next(iter(found), None)


# Keys recently seen live, by token hash, per process: {hash: (key, monotonic time of the read)}.
# Only for writes, which check again that the key is not revoked in the very statement that stores
# the report (hotline.intake.store): a revocation is refused at once, the cache only saves the SELECT.
WRITE_KEY_CACHE_SECONDS = 60.0
_write_keys: dict[str, tuple[PartnerKey, float]] = {}


def partner_key_for_write(token: str) -> PartnerKey | None:
    """partner_key_for, remembered for WRITE_KEY_CACHE_SECONDS while the key is live.

    Only for callers whose write refuses a revoked key itself (store.write_report's live_partner_key,
    services.submit_report_batch). Unknown tokens are never remembered (no growth from guessing).
    """
    if not token or len(token) > 200:
        return None
    token_hash = hash_partner_key(token)
    remembered = _write_keys.get(token_hash)
    now = time.monotonic()
    if remembered is not None and now - remembered[1] < WRITE_KEY_CACHE_SECONDS:
        return remembered[0]
    key = partner_key_for(token)
    if key is not None and not key.is_revoked:
        if len(_write_keys) >= 1000:
            _write_keys.clear()
        _write_keys[token_hash] = (key, now)
    else:
        _write_keys.pop(token_hash, None)
    return key


def forget_write_key(key_hash: str) -> None:
    """Drop a key from this process's cache (after revoking it here)."""
    _write_keys.pop(key_hash, None)


def partner_report_status(*, partner: str, public_id: UUID) -> ReportStatus | None:
    """Status of a report sent by `partner` (with any of its keys); None for anyone else's."""
    report = (
        Report.objects.filter(public_id=public_id, partner_key__partner=partner)
        .only("pk", "public_id", "received_at")
        .first()
    )
    return status_of(report) if report is not None else None


def partner_keys() -> QuerySet[PartnerKey]:
    return PartnerKey.objects.annotate(report_count=Count("reports")).order_by("partner", "-created_at")


def reporter_messages(report_id: int) -> QuerySet[ReporterMessage]:
    """Messages a reporter added with the receipt (for casework)."""
    return ReporterMessage.objects.filter(report_id=report_id).order_by("received_at", "pk")
