"""Background work of campaigns: one small task per side effect, each idempotent (ids in, never data)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@task(queue_name="mail")
def send_signature_mail(signature_id: int, kind: str, attempt: int) -> str:
    """Mail a signer: `confirm` (the confirmation link) or `already` (you have already signed)."""
    from hotline.campaigns import services

    return services.deliver_signature_mail(signature_id=signature_id, kind=kind, attempt=attempt)


@task(queue_name="mail")
def send_subscriber_mail(subscriber_id: int, kind: str, attempt: int) -> str:
    """Mail a newsletter sign-up: `confirm` (double opt-in link) or `already` (preferences link)."""
    from hotline.campaigns import services

    return services.deliver_subscriber_mail(subscriber_id=subscriber_id, kind=kind, attempt=attempt)


@task(queue_name="mail")
def send_issue_batch(issue_id: int, attempt: int) -> dict[str, int]:
    """Send the next batch of a newsletter issue; queues the following batch itself."""
    from hotline.campaigns import services

    result = services.run_issue_batch(issue_id=issue_id)
    return {"sent": result.sent, "skipped": result.skipped, "failed": result.failed, "remaining": result.remaining}


@task()
def build_petition_export(export_id: int) -> str:
    """Make a hand-over PDF or CSV with progress."""
    from hotline.campaigns import services

    export = services.run_export(export_id=export_id)
    return export.state if export else "gone"


@periodic(every=timedelta(minutes=5))
@task()
def close_petitions_past_deadline() -> list[int]:
    from hotline.campaigns import services

    return services.close_petitions_past_deadline()
