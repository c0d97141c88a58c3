"""The case state machine: which state may follow which, and the one function that moves a case."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import hooks
from hotline.cases.errors import InvalidTransition
from hotline.cases.models import Case, CaseEvent, CaseState, CloseReason
from hotline.core import audit
from hotline.staff.models import StaffUser

# Allowed transitions. Reopening (closed -> triaged) happens when a closed URL is reported again.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.NEW: frozenset({CaseState.TRIAGED, CaseState.CLOSED}),
    CaseState.TRIAGED: frozenset({CaseState.IN_ASSESSMENT, CaseState.CLOSED}),
    CaseState.IN_ASSESSMENT: frozenset({CaseState.ASSESSED, CaseState.TRIAGED, CaseState.CLOSED}),
    CaseState.ASSESSED: frozenset({CaseState.REFERRED, CaseState.IN_ASSESSMENT, CaseState.CLOSED}),
    CaseState.REFERRED: frozenset({CaseState.MONITORING, CaseState.IN_ASSESSMENT, CaseState.CLOSED}),
    CaseState.MONITORING: frozenset({CaseState.CLOSED, CaseState.REFERRED, CaseState.IN_ASSESSMENT}),
    CaseState.CLOSED: frozenset({CaseState.TRIAGED}),
}


def transition_case(
    *,
    case: Case,
    to_state: str,
    actor: StaffUser | str | None,
    close_reason: str = "",
    details: dict[str, Any] | None = None,
) -> Case:
    """Move a case to `to_state` (row locked, audited, on the timeline). Raises InvalidTransition."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        from_state = locked.state
        if to_state not in TRANSITIONS.get(from_state, frozenset()):
            raise InvalidTransition(
                _("A case in state “%(from)s” cannot move to “%(to)s”.")
                % {"from": CaseState(from_state).label, "to": CaseState(to_state).label}
            )
        if to_state == CaseState.CLOSED:
            if close_reason not in CloseReason.values:
                raise InvalidTransition(_("Choose why the case is closed."))
        else:
            close_reason = ""
        now = timezone.now()
        locked.state = to_state
        locked.close_reason = close_reason
        locked.state_changed_at = now
        locked.version += 1
        if to_state == CaseState.CLOSED:
            locked.claimed_by = None
            locked.claimed_until = None
        locked.save(
            update_fields=[
                "state",
                "close_reason",
                "state_changed_at",
                "claimed_by",
                "claimed_until",
                "version",
                "updated_at",
            ]
        )
        event_details = {**(details or {}), **({"close_reason": close_reason} if close_reason else {})}
        CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=actor if isinstance(actor, StaffUser) else None,
            kind="transition",
            from_state=from_state,
            to_state=to_state,
            details=event_details,
        )
        audit.record(
            actor=actor,
            action="case.transition",
            object_type="case",
            object_id=locked.pk,
            details={"from": from_state, "to": to_state, **event_details},
        )
        hooks.case_transitioned.send(sender=Case, case_id=locked.pk, from_state=from_state, to_state=to_state, at=now)
    case.refresh_from_db()
    return case
