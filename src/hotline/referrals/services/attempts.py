"""One delivery attempt's bookkeeping, in a short transaction on each side of the send: the claim before (what is
due, with a lease against a duplicate task) and the result after (a success moves the state and plans the next
notice; a failure waits, by backoff, until HOTLINE_DELIVERY_MAX_FAILURES)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hotline.core import audit
from hotline.core.backoff import backoff
from hotline.referrals import conf, delivery_states, hooks
from hotline.referrals.models import AttemptKind, DeliveryAttempt, DeliveryChannel, Referral, ReferralState, Target
from hotline.referrals.services._common import SYSTEM, case_event, enqueue_delivery, lock_referral, set_state
from hotline.referrals.services.follow_up import escalate
from hotline.referrals.services.removal import refresh_timing


@dataclass(frozen=True)
class DeliveryClaim:
    referral_id: int
    attempt_number: int
    kind: str  # AttemptKind
    notice_number: int


def claim_delivery(*, referral_id: int, now: datetime | None = None) -> DeliveryClaim | None:
    """Take a due delivery (first send, retry or repeated notice) for this worker, or None.

    The claim pushes next_attempt_at forward by a lease, so a duplicate task finds nothing due;
    a worker that dies mid-send is covered when the lease runs out (at-least-once delivery).
    """
    now = now or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None or referral.is_final or referral.awaiting_clearance:
            return None
        if referral.channel == DeliveryChannel.NETWORK:  # sent by the network outbox
            return None
        if referral.next_attempt_at is None or referral.next_attempt_at > now:
            return None
        if referral.state == ReferralState.PLANNED:
            kind = AttemptKind.INITIAL
        elif referral.state == ReferralState.FAILED:
            kind = AttemptKind.RETRY
        elif referral.target == Target.HOST_NOTICE:
            kind = AttemptKind.REMINDER
        else:
            referral.next_attempt_at = None  # sent police/partner referrals are not repeated
            referral.save(update_fields=["next_attempt_at"])
            return None
        if referral.channel == DeliveryChannel.DOWNLOAD:
            kind = AttemptKind.PACKAGE
        if (
            referral.target == Target.HOST_NOTICE
            and referral.notice_count >= conf.escalate_after()
            and referral.escalated_at is None
        ):
            escalate(referral, now)
        referral.attempts += 1
        referral.next_attempt_at = now + conf.delivery_lease()
        referral.save(update_fields=["attempts", "next_attempt_at", "escalated_at"])
        return DeliveryClaim(
            referral_id=referral.pk,
            attempt_number=referral.attempts,
            kind=kind,
            notice_number=referral.notice_count + 1,
        )


_DELIVERY_FIELDS = [
    "state",
    "state_changed_at",
    "sent_at",
    "last_error",
    "failures",
    "failed_at",
    "xarf_report_id",
    "notice_count",
    "last_notice_at",
    "next_attempt_at",
]


def record_delivery_success(
    *,
    claim: DeliveryClaim,
    message_id: str = "",
    duration_ms: int = 0,
    xarf_report_id: str = "",
    now: datetime | None = None,
) -> Referral:
    now = now or timezone.now()
    with transaction.atomic():
        referral = lock_referral(claim.referral_id)
        DeliveryAttempt.objects.create(
            referral=referral,
            number=claim.attempt_number,
            kind=claim.kind,
            at=now,
            ok=True,
            message_id=message_id[:250],
            duration_ms=duration_ms,
        )
        if referral.is_final:  # removed while we were sending
            referral.next_attempt_at = None
            referral.save(update_fields=["next_attempt_at"])
            return referral
        new_state = delivery_states.state_after_success(
            delivered=referral.delivered_at is not None, acknowledged=referral.acknowledged_at is not None
        )
        previous = set_state(referral, new_state, now)
        first = referral.sent_at is None
        referral.sent_at = referral.sent_at or now
        referral.last_error = ""
        referral.failures = 0
        if xarf_report_id:
            referral.xarf_report_id = xarf_report_id
        if referral.target == Target.HOST_NOTICE:
            referral.notice_count += 1
            referral.last_notice_at = now
            referral.next_attempt_at = now + conf.notice_interval()
        else:
            referral.next_attempt_at = None
        referral.save(update_fields=_DELIVERY_FIELDS)  # never re-encrypts the package on each notice
        audit.record(
            actor=SYSTEM,
            action="referral.sent" if first else "referral.resent",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "target": referral.target,
                "channel": referral.channel,
                "attempt": claim.attempt_number,
                "kind": claim.kind,
                "notice": referral.notice_count if referral.target == Target.HOST_NOTICE else None,
                "from": previous,
                "to": referral.state,
                "xarf_report_id": xarf_report_id or None,
                "package_sha256": referral.package_sha256 or None,
            },
        )
        case_event(case_id=referral.case_id, actor=None, action="sent", at=now, referral=referral.pk,
                   target=referral.target, attempt=claim.attempt_number, kind=claim.kind)  # fmt: skip
        if referral.next_attempt_at is not None:
            enqueue_delivery(referral.pk, at=referral.next_attempt_at)
        if first:  # only a first sending changes the case's times
            refresh_timing(case=referral.case)
            hooks.referral_progressed.send(sender=Referral, referral=referral, action="sent", at=now)
    return referral


def record_delivery_failure(
    *,
    claim: DeliveryClaim,
    error: str,
    smtp_code: int | None = None,
    duration_ms: int = 0,
    now: datetime | None = None,
) -> Referral:
    now = now or timezone.now()
    error = (error or "unknown error").strip()[:500] or "unknown error"
    with transaction.atomic():
        referral = lock_referral(claim.referral_id)
        DeliveryAttempt.objects.create(
            referral=referral,
            number=claim.attempt_number,
            kind=claim.kind,
            at=now,
            ok=False,
            error=error,
            smtp_code=smtp_code,
            duration_ms=duration_ms,
        )
        if referral.is_final:
            referral.next_attempt_at = None
            referral.save(update_fields=["next_attempt_at"])
            return referral
        previous = set_state(referral, ReferralState.FAILED, now)
        referral.failures += 1
        referral.last_error = error
        referral.failed_at = now
        retry = delivery_states.should_retry(failures=referral.failures, max_failures=conf.max_failures())
        referral.next_attempt_at = (
            now + backoff(referral.failures, base=conf.retry_base(), cap=conf.retry_cap()) if retry else None
        )
        referral.save(update_fields=_DELIVERY_FIELDS)
        audit.record(
            actor=SYSTEM,
            action="referral.delivery_failed",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "target": referral.target,
                "attempt": claim.attempt_number,
                "kind": claim.kind,
                "failures": referral.failures,
                "smtp_code": smtp_code,
                "from": previous,
                "next_attempt_at": referral.next_attempt_at,
                "gave_up": not retry,
            },
        )
        case_event(case_id=referral.case_id, actor=None, action="failed", at=now, referral=referral.pk,
                   attempt=claim.attempt_number, smtp_code=smtp_code, gave_up=not retry)  # fmt: skip
        if referral.next_attempt_at is not None:
            enqueue_delivery(referral.pk, at=referral.next_attempt_at)
    return referral
