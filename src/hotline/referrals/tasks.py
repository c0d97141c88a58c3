"""Background work of the referrals app: one small task per duty, each idempotent (ids only in payloads). Each
task calls one service, imported in its body: the services import this module, not the reverse."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@task(queue_name="mail")
def deliver_referral(referral_id: int) -> str:
    """Send whatever is due for one referral: first delivery, retry, or repeated notice."""
    from hotline.referrals import services

    return services.deliver(referral_id)


@task(queue_name="mail")
def send_escalation_email(referral_id: int) -> int:
    """Tell the supervisors about a notice repeated too often without removal (once)."""
    from hotline.referrals import services

    return services.send_escalation(referral_id)


@task()
def close_monitored_case(case_id: int) -> bool:
    """Close a case as removed when its monitoring period is over."""
    from hotline.referrals import services

    return services.close_after_monitoring(case_id=case_id)


@periodic(every=timedelta(minutes=10))
@task()
def enqueue_due_referrals() -> int:
    """Safety net: enqueue deliveries that are due but whose task was lost, and unsent escalation emails."""
    from hotline.referrals import services

    return services.enqueue_due_deliveries()


@periodic(every=timedelta(hours=1))
@task()
def close_monitored_cases() -> int:
    """Safety net: close every monitored case whose monitoring period has passed."""
    from hotline.referrals import services

    return services.close_finished_monitoring()
