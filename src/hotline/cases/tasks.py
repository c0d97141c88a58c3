"""Background work of the cases app."""

from __future__ import annotations

from django_tasks import task


@task()
def triage_report(report_id: int) -> None:
    """Turn a new report into cases (see services.triage_report). Idempotent."""
    from hotline.cases import services

    services.triage_report(report_id=report_id)
