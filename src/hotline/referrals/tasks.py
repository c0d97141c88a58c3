"""Background work of the referrals app: one small task per duty, each idempotent (ids only in payloads)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from hotline.core.scheduler import periodic


@task(queue_name="mail")
def deliver_referral(referral_id: int) -> str:
    """Send whatever is due for one referral: first delivery, retry, or repeated notice."""
    from hotline.referrals import delivery

    return delivery.deliver(referral_id)


@task(queue_name="mail")
def send_escalation_email(referral_id: int) -> int:
    """Tell the supervisors about a notice repeated too often without removal (once)."""
    from hotline.referrals import delivery

    return delivery.send_escalation(referral_id)


@task()
def close_monitored_case(case_id: int) -> bool:
    """Close a case as removed when its monitoring period is over."""
    from hotline.referrals import services

    return services.close_after_monitoring(case_id=case_id)


@periodic(every=timedelta(minutes=10))
@task()
def enqueue_due_referrals() -> int:
    """Safety net: enqueue deliveries that are due but whose task was lost, and unsent escalation emails."""
    from hotline.referrals.models import FINAL_STATES, Referral
    from hotline.referrals.selectors import due_referral_ids

    ids = due_referral_ids(now=timezone.now())
    for referral_id in ids:
        deliver_referral.enqueue(referral_id)
    pending_mail = list(
        Referral.objects.filter(escalated_at__isnull=False, escalation_mailed_at__isnull=True)
        .exclude(state__in=list(FINAL_STATES))
        .values_list("pk", flat=True)[:100]
    )
    for referral_id in pending_mail:
        send_escalation_email.enqueue(referral_id)
    return len(ids) + len(pending_mail)


@periodic(every=timedelta(hours=1))
@task()
def close_monitored_cases() -> int:
    """Safety net: close every monitored case whose monitoring period has passed."""
    from hotline.cases.models import Case, CaseState
    from hotline.referrals import services

    closed = 0
    for case_id in Case.objects.filter(state=CaseState.MONITORING).values_list("pk", flat=True)[:1000]:
        closed += services.close_after_monitoring(case_id=case_id)
    return closed


@periodic(every=timedelta(hours=6))
@task()
def erase_expired_police_packages() -> int:
    """Erase stored police packages of cases closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS."""
    from hotline.referrals import services

    return services.erase_expired_police_packages()
