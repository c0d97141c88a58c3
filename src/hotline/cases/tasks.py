"""Background work of the cases app: triage of each new report, and small periodic upkeep jobs."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from hotline.core.scheduler import periodic

logger = logging.getLogger("hotline.cases")

# A report still untriaged this long after it arrived lost its task (e.g. a failed run): queue it again.
STRAGGLER_AGE = timedelta(minutes=10)
STRAGGLER_BATCH = 500


@task()
def triage_report(report_id: int) -> int:
    """Triage this report and, in the same transaction, up to HOTLINE_TRIAGE_BATCH - 1 other untriaged
    reports, oldest first (services.triage_batch). The queued tasks of those others are marked done by
    the batch, so one task does the work of many. Intake still queues one task per report in the
    report's own transaction: nothing acknowledged is lost. Idempotent: a triaged report is left alone.
    Returns how many reports this run triaged."""
    from hotline.cases import services

    return len(services.triage_batch(first_report_id=report_id).triaged)


@periodic(every=timedelta(minutes=15))
@task()
def requeue_untriaged_reports() -> int:
    """Nothing acknowledged is lost: re-enqueue triage for reports whose task never completed."""
    from django.db import transaction

    from hotline.cases.models import Report

    cutoff = timezone.now() - STRAGGLER_AGE
    ids = list(
        Report.objects.filter(triaged_at=None, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:STRAGGLER_BATCH]
    )
    with transaction.atomic():
        for report_id in ids:
            triage_report.enqueue(report_id)
    if ids:
        logger.warning("Re-queued triage for %d report(s) left untriaged.", len(ids))
    return len(ids)


@periodic(every=timedelta(hours=1))
@task()
def refresh_queue_priorities() -> int:
    """Age in queue raises priority: recompute it for cases waiting for a first look."""
    from hotline.cases import services

    return services.refresh_priorities()


@periodic(every=timedelta(hours=6))
@task()
def erase_expired_report_texts() -> int:
    """Erase reporters' texts once their cases have been closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS."""
    from hotline.cases import services

    return services.erase_expired_report_texts()
