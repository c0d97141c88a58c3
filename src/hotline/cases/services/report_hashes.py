"""Hashes a report carries (cases.ReportHash): stored with the report, in the transaction that stores it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.db import transaction

from hotline.cases.errors import ReportHashesRejected
from hotline.cases.models import Report, ReportHash
from hotline.cases.rules import MAX_REPORT_HASHES, HashInput, normal_hashes, report_hash_problems
from hotline.core import audit
from hotline.staff.models import StaffUser


def check_report_hashes(hashes: Sequence[object], *, limit: int = MAX_REPORT_HASHES) -> list[HashInput]:
    """The hashes in normal form (each once), or ReportHashesRejected saying what is wrong. A channel calls it
    before it writes anything, so a refused report leaves nothing behind."""
    problems = report_hash_problems(hashes, limit=limit)
    if problems:
        raise ReportHashesRejected(problems)
    return normal_hashes(hashes)  # type: ignore[arg-type]  # report_hash_problems checked every item


def store_report_hashes(*, report: Report, hashes: Sequence[object], actor: StaffUser | str | None) -> list[ReportHash]:
    """Store `hashes` for `report` (validated again, normal form, each (kind, value) once), audited with counts
    per kind only (never a value). Part of the caller's change: it must run inside the transaction that stores
    the report, so a report is never kept without its hashes nor hashes without their report.

    Raises ReportHashesRejected (400, message for people) when a hash is not valid; the caller's transaction
    then rolls back with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("store_report_hashes must run inside the transaction that stores the report.")
    if report.pk is None:
        raise ValueError("store_report_hashes needs a stored report.")
    checked = check_report_hashes(hashes)
    rows = ReportHash.objects.bulk_create(
        [ReportHash(report=report, kind=h.kind, value=h.value, quality=h.quality) for h in checked]
    )
    audit.record(
        actor=actor,
        action="report.hashes_stored",
        object_type="report",
        object_id=report.pk,
        details={"count": len(rows), "kinds": dict(sorted(Counter(h.kind for h in checked).items()))},
    )
    return rows
