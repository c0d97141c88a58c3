"""Steps the referrals services share (private to this package): the timeline event, the locked referral, the
state machine check, a delivery enqueued, an email address cleaned, a staff action audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases.services import record_case_event
from hotline.core import audit
from hotline.referrals import delivery_states
from hotline.referrals.errors import ReferralError, ReferralNotFound
from hotline.referrals.models import Referral, ReferralState
from hotline.referrals.tasks import deliver_referral
from hotline.staff.models import StaffUser

SYSTEM = "system:referrals"


def case_event(*, case_id: int, actor: Any, action: str, at: datetime, **details: Any) -> None:
    """A referral step on the case's timeline (labelled by the referrals app: apps.TIMELINE_ACTIONS)."""
    record_case_event(case_id=case_id, kind="referral", actor=actor, at=at, details={"action": action, **details})


def lock_referral(referral_id: int) -> Referral:
    referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
    if referral is None:
        raise ReferralNotFound(_("No such referral."))
    return referral


def set_state(referral: Referral, state: str, now: datetime) -> str:
    """Move to `state` if the state machine allows it; returns the previous state."""
    previous = referral.state
    if previous != state:
        if not delivery_states.can_move(previous, state):
            raise ReferralError(
                _("A referral in state “%(from)s” cannot become “%(to)s”.")
                % {"from": ReferralState(previous).label, "to": ReferralState(state).label}
            )
        referral.state = state
        referral.state_changed_at = now
    return previous


def enqueue_delivery(referral_id: int, *, at: datetime | None = None) -> None:
    if at is not None and at > timezone.now():
        deliver_referral.using(run_after=at).enqueue(referral_id)
    else:
        deliver_referral.enqueue(referral_id)


def clean_email(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ReferralError(_("“%(value)s” is not a valid email address.") % {"value": value[:100]}) from exc
    return value.lower()


def staff_action(
    *,
    referral: Referral,
    actor: StaffUser | str,
    action: str,
    to_state: str | None,
    details: dict[str, Any] | None = None,
) -> datetime:
    """Move a locked referral (if to_state), audit and put it on the timeline. The caller saves."""
    now = timezone.now()
    previous = referral.state
    if to_state is not None:
        set_state(referral, to_state, now)
    audit.record(
        actor=actor,
        action=f"referral.{action}",
        object_type="referral",
        object_id=referral.pk,
        details={"case": referral.case_id, "from": previous, "to": referral.state, **(details or {})},
    )
    case_event(case_id=referral.case_id, actor=actor, action=action, at=now, referral=referral.pk, **(details or {}))
    return now
