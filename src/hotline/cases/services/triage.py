"""Triage, the entry points: the hand-off from intake (a queued run of the triage_reports task per report), the
batch that turns reports into cases (its steps are triage_steps.TriageBatch), and the re-queueing of reports
whose task run was lost."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.cases import conf
from hotline.cases.models import Report
from hotline.cases.services.triage_steps import TriageBatch, TriageBatchResult, TriageResult
from hotline.cases.tasks import triage_reports
from hotline.core import taskqueue

logger = logging.getLogger("hotline.cases")
TRIAGE_ATTEMPTS = 3  # a batch that loses an insert race is run again, at most this often


# --- the hand-off from intake: each stored report queues a run of triage_reports ----------------------
# A report still untriaged this long after it arrived lost its task (e.g. a failed run): queue it again.
STRAGGLER_AGE = timedelta(minutes=10)
STRAGGLER_BATCH = 500


def queue_triage(report_ids: Sequence[int]) -> int:
    """Queue triage of these stored reports in the caller's transaction (one INSERT: the rows of
    triage_reports.enqueue(id) each). Returns how many were queued."""
    return taskqueue.enqueue_many(triage_reports, ([report_id] for report_id in report_ids))


def triage_run_row() -> taskqueue.QueuedRun | None:
    """The run of triage_reports that intake's one-statement report write (intake.report_sql) inserts together with
    the report, its argument the id the report's INSERT returns; None when tasks are not in the database."""
    return taskqueue.queued_run(triage_reports)


def requeue_untriaged_reports(*, now: datetime | None = None) -> int:
    """Nothing acknowledged is lost: queue triage again for reports whose task never completed."""
    cutoff = (now or timezone.now()) - STRAGGLER_AGE
    ids = list(
        Report.objects.filter(triaged_at=None, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:STRAGGLER_BATCH]
    )
    with transaction.atomic():
        queue_triage(ids)
    if ids:
        logger.warning("Re-queued triage for %d report(s) left untriaged.", len(ids))
    return len(ids)


def triage_report(*, report_id: int) -> TriageResult:
    """Turn one report into cases: a batch of one (see triage_batch). Returns what happened to that report."""
    return triage_batch(first_report_id=report_id, limit=1).results[report_id]


def triage_batch(*, first_report_id: int, limit: int | None = None) -> TriageBatchResult:
    """Triage `first_report_id` and up to limit-1 other untriaged reports (oldest first) in ONE transaction.

    One case per canonical URL (deduplicated, also within the batch), a case of its own for a report
    without URL; duplicates, channels and independent reporters counted; a closed case reported again
    is reopened ("seen again"). A URL that cannot be canonicalised gets a case of its own that records
    the reason and waits for a human; it never makes the task fail. Idempotent: a triaged report is
    left alone. Concurrency: the batch's reports are row-locked (PostgreSQL: other workers skip them),
    url_index is unique; a batch that loses an insert race is rolled back and run again, and then
    attaches to the winner's case. The queued triage tasks of the other reports are marked done in
    the same transaction, and one audit entry records the whole batch (ids and facts only).
    """
    limit = conf.triage_batch_limit() if limit is None else max(1, min(conf.MAX_TRIAGE_BATCH, limit))
    for attempt in range(TRIAGE_ATTEMPTS):
        try:
            with transaction.atomic():
                return TriageBatch(first_report_id, limit).run()
        except IntegrityError:
            if attempt == TRIAGE_ATTEMPTS - 1:
                raise
            logger.info("Triage batch of report %s met a concurrent write; trying again.", first_report_id)
    raise AssertionError("unreachable")
