"""Background work of the cases app: triage of new reports, and small periodic upkeep jobs. Each task calls
one service (hotline.cases.services), imported in its body: services import this module, not the reverse."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@task()
def triage_reports(report_id: int) -> int:
    """Triage this report and, in the same transaction, up to HOTLINE_TRIAGE_BATCH - 1 other untriaged
    reports, oldest first (services.triage_batch). The queued tasks of those others are marked done by
    the batch, so one task does the work of many. Intake still queues one task per report in the
    report's own transaction: nothing acknowledged is lost. Idempotent: a triaged report is left alone.
    Returns how many reports this run triaged."""
    from hotline.cases import services

    return len(services.triage_batch(first_report_id=report_id).triaged)


# The task's name until it was renamed (it triages a batch; services.triage_report triages one report). Runs
# queued under the old path before an upgrade still resolve to it; nothing queues under this name any more.
# Remove it one release after the rename.
triage_report = triage_reports


@periodic(every=timedelta(minutes=15))
@task()
def requeue_untriaged_reports() -> int:
    """Nothing acknowledged is lost: re-enqueue triage for reports whose task never completed."""
    from hotline.cases import services

    return services.requeue_untriaged_reports()


@periodic(every=timedelta(hours=1))
@task()
def refresh_queue_priorities() -> int:
    """Age in queue raises priority: recompute it for cases waiting for a first look."""
    from hotline.cases import services

    return services.refresh_priorities()
