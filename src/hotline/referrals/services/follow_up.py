"""Following a sent referral: delivery and acknowledgement recorded by staff, replies that are neither (a bounce,
an automatic reply), police clearance releasing a held notice, and the escalation of a notice repeated too often
without removal (recorded once, mailed to the supervisors once)."""

from __future__ import annotations

from datetime import datetime

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.core.authz import SUPERVISOR
from hotline.referrals import notices
from hotline.referrals.errors import ReferralError
from hotline.referrals.models import SENT_STATES, AckEvidence, Referral, ReferralState
from hotline.referrals.services._common import (
    SYSTEM,
    case_event,
    enqueue_delivery,
    lock_referral,
    set_state,
    staff_action,
)
from hotline.referrals.tasks import send_escalation_email
from hotline.staff.models import StaffUser


def mark_delivered(*, referral_id: int, actor: StaffUser) -> Referral:
    """Record that the recipient confirmed receipt (for email, only a person can know this): the staff
    member's word about the recipient's act, audited with their name. Nothing on our own side (a staff
    download of a police package, reading, retrying) moves a referral to delivered."""
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.state != ReferralState.SENT:
            raise ReferralError(_("Only a sent referral can be marked delivered."))
        now = staff_action(referral=referral, actor=actor, action="delivered", to_state=ReferralState.DELIVERED)
        referral.delivered_at = now
        referral.save()
    return referral


def mark_acknowledged(*, referral_id: int, actor: StaffUser, evidence: str) -> Referral:
    """A person at the recipient answered. Bounces and automatic replies are not acknowledgements."""
    if evidence not in AckEvidence.values:
        raise ReferralError(_("Choose how the acknowledgement came (a bounce or an automatic reply does not count)."))
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.state not in {ReferralState.SENT, ReferralState.DELIVERED}:
            raise ReferralError(_("Only a sent or delivered referral can be acknowledged."))
        now = staff_action(
            referral=referral,
            actor=actor,
            action="acknowledged",
            to_state=ReferralState.ACKNOWLEDGED,
            details={"evidence": evidence},
        )
        referral.acknowledged_at = now
        referral.delivered_at = referral.delivered_at or now
        referral.ack_evidence = evidence
        referral.save()
    return referral


def record_reply(*, referral_id: int, actor: StaffUser | str, kind: str) -> Referral:
    """Record an answer that is not an acknowledgement: a bounce fails the delivery (no automatic
    retry: the address is wrong), an automatic reply only goes on the timeline."""
    if kind not in {"bounce", "auto_reply"}:
        raise ReferralError(_("Unknown kind of reply."))
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if kind == "bounce":
            if referral.state not in SENT_STATES:
                raise ReferralError(_("Only a sent referral can bounce."))
            now = timezone.now()
            previous = set_state(referral, ReferralState.FAILED, now)
            referral.failures += 1
            referral.failed_at = now
            referral.last_error = _("The message bounced (recorded by staff): check the address and retry.")
            referral.next_attempt_at = None
            referral.save()
            audit.record(
                actor=actor,
                action="referral.bounced",
                object_type="referral",
                object_id=referral.pk,
                details={"case": referral.case_id, "from": previous, "to": referral.state},
            )
            case_event(case_id=referral.case_id, actor=actor, action="bounced", at=now, referral=referral.pk)
        else:
            now = timezone.now()
            audit.record(
                actor=actor,
                action="referral.auto_reply",
                object_type="referral",
                object_id=referral.pk,
                details={"case": referral.case_id, "state": referral.state},
            )
            case_event(case_id=referral.case_id, actor=actor, action="auto_reply", at=now, referral=referral.pk)
    return referral


def release_after_clearance(*, referral_id: int, actor: StaffUser) -> Referral:
    """The police cleared the case: the notice to the host may go now."""
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if not referral.awaiting_clearance or referral.is_final:
            raise ReferralError(_("This referral is not waiting for police clearance."))
        now = staff_action(referral=referral, actor=actor, action="cleared", to_state=None)
        referral.awaiting_clearance = False
        referral.cleared_at = now
        referral.next_attempt_at = now
        referral.save()
        enqueue_delivery(referral.pk)
    return referral


def escalate(referral: Referral, now: datetime) -> None:
    """Mark a notice repeated HOTLINE_NOTICE_ESCALATE_AFTER times as escalated (the caller holds the lock and
    saves) and enqueue the supervisors' email."""
    referral.escalated_at = now
    audit.record(
        actor=SYSTEM,
        action="referral.escalated",
        object_type="referral",
        object_id=referral.pk,
        details={"case": referral.case_id, "notices": referral.notice_count},
    )
    case_event(case_id=referral.case_id, actor=None, action="escalated", at=now, referral=referral.pk,
               notices=referral.notice_count)  # fmt: skip
    send_escalation_email.enqueue(referral.pk)


def send_escalation(referral_id: int, *, connection: BaseEmailBackend | None = None) -> int:
    """Email every active supervisor about an escalated notice, once. Returns the number of emails."""
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is None or referral.escalated_at is None or referral.escalation_mailed_at is not None:
        return 0
    supervisors = list(StaffUser.objects.filter(is_active=True, groups__name=SUPERVISOR).distinct().order_by("email"))
    messages = [
        notices.escalation(
            to=user.email,
            language=user.language,
            reference=referral.reference,
            case_id=referral.case_id,
            notice_count=referral.notice_count,
            recipient_name=referral.recipient_name,
        )
        for user in supervisors
    ]
    if messages:
        # Raises on SMTP failure: the task fails and is visible; the escalation itself is already
        # recorded and listed on /referrals/escalated/.
        (connection or get_connection(fail_silently=False)).send_messages(messages)
    mark_escalation_mailed(referral_id=referral_id, recipients=len(messages))
    return len(messages)


def mark_escalation_mailed(*, referral_id: int, recipients: int) -> bool:
    """Claim the escalation email once; returns False when it was already sent."""
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.escalation_mailed_at is not None:
            return False
        referral.escalation_mailed_at = timezone.now()
        referral.save(update_fields=["escalation_mailed_at"])
        audit.record(
            actor=SYSTEM,
            action="referral.escalation_mailed",
            object_type="referral",
            object_id=referral.pk,
            details={"case": referral.case_id, "recipients": recipients},
        )
    return True
