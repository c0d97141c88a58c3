"""A partner-hotline referral delivered over the hotline network: the network app's outbox reports each
attempt here, so the referral keeps the delivery states, attempts and failed list every referral has."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.referrals.errors import ReferralError
from hotline.referrals.models import AckEvidence, AttemptKind, DeliveryAttempt, DeliveryChannel, Referral, ReferralState
from hotline.referrals.services._common import SYSTEM, case_event, lock_referral, set_state
from hotline.referrals.services.removal import refresh_timing


def record_network_attempt(
    *,
    referral_id: int,
    ok: bool,
    error: str = "",
    will_retry: bool = False,
    next_attempt_at: datetime | None = None,
    message_id: str = "",
    duration_ms: int = 0,
    now: datetime | None = None,
) -> Referral:
    """One delivery attempt of a network referral. Success means the partner acknowledged the committed
        message (a signed ack): the referral is sent, delivered and acknowledged at once. A failure is `failed`
        with its error; `will_retry` says whether the outbox tries again, `next_attempt_at` when (the outbox's
    schedule, shown on the failed-deliveries page; referrals' own delivery never claims a network referral)."""
    now = now or timezone.now()
    error = (error or "").strip()[:500]
    if not ok and not error:
        raise ValueError("A failed attempt carries its error.")
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.channel != DeliveryChannel.NETWORK:
            raise ReferralError(_("This referral is not sent over the hotline network."))
        number = referral.attempts + 1
        kind = AttemptKind.INITIAL if number == 1 else AttemptKind.RETRY
        DeliveryAttempt.objects.create(
            referral=referral,
            number=number,
            kind=kind,
            at=now,
            ok=ok,
            error="" if ok else error,
            message_id=message_id[:250],
            duration_ms=duration_ms,
        )
        referral.attempts = number
        referral.next_attempt_at = next_attempt_at if (not ok and will_retry) else None
        if referral.is_final:  # removed while the message was on its way
            referral.save(update_fields=["attempts", "next_attempt_at"])
            return referral
        previous = referral.state
        if ok:
            first = referral.sent_at is None
            if referral.state == ReferralState.PLANNED:
                set_state(referral, ReferralState.SENT, now)
            set_state(referral, ReferralState.ACKNOWLEDGED, now)
            referral.sent_at = referral.sent_at or now
            referral.delivered_at = referral.delivered_at or now
            referral.acknowledged_at = referral.acknowledged_at or now
            referral.ack_evidence = AckEvidence.PARTNER_SYSTEM
            referral.last_error = ""
            referral.failures = 0
        else:
            first = False
            set_state(referral, ReferralState.FAILED, now)
            referral.failures += 1
            referral.last_error = error
            referral.failed_at = now
        referral.save()
        audit.record(
            actor=SYSTEM,
            action="referral.sent" if ok else "referral.delivery_failed",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "target": referral.target,
                "channel": referral.channel,
                "attempt": number,
                "kind": kind,
                "from": previous,
                "to": referral.state,
                "failures": referral.failures,
                "will_retry": will_retry if not ok else None,
            },
        )
        if ok:
            case_event(
                case_id=referral.case_id,
                actor=None,
                action="sent",
                at=now,
                referral=referral.pk,
                target=referral.target,
                attempt=number,
                kind=kind,
            )
            case_event(
                case_id=referral.case_id,
                actor=None,
                action="acknowledged",
                at=now,
                referral=referral.pk,
                evidence=AckEvidence.PARTNER_SYSTEM,
            )
            if first:
                refresh_timing(case=referral.case)
        elif previous != ReferralState.FAILED or not will_retry:
            # The timeline shows the first failure and the last, not every retry (the outbox lists those).
            case_event(
                case_id=referral.case_id,
                actor=None,
                action="failed",
                at=now,
                referral=referral.pk,
                attempt=number,
                retrying=will_retry,
            )
    return referral
