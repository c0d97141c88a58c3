"""Casework on a case besides its assessment: the status-only close, notes, the audited opening of a case page,
and copying its URL."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases.errors import CaseClaimed, CaseError
from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseEvent,
    CaseNote,
    CaseState,
    CloseReason,
    ReportedUrl,
)
from hotline.cases.services._shared import check_version
from hotline.cases.services.transitions import transition_case
from hotline.core import audit
from hotline.core.authz import SUPERVISOR
from hotline.staff.models import StaffUser

# Status-only actions: closing without opening the assessment page (no exposure needed).
STATUS_ONLY_CLOSE_REASONS = (
    CloseReason.DUPLICATE,
    CloseReason.NOT_ILLEGAL,
    CloseReason.UNREACHABLE,
    CloseReason.NO_ACTION_POSSIBLE,
)
NOTE_MAX_LENGTH = 10_000
# States a case reaches once its referrals were made (referrals moves it there).
REFERRED_STATES = (CaseState.REFERRED, CaseState.MONITORING)


def close_refusal(*, case: Case, reason: str, duplicate_of: int | None) -> str | None:
    """Why a status-only close cannot be made, in words for people; None when it can. Read-only, so the
    confirmation page refuses a wrong close before asking, and close_case asks the same under its lock."""
    if reason not in STATUS_ONLY_CLOSE_REASONS:
        return _("Choose why the case is closed.")
    if case.state == CaseState.CLOSED:
        return _("This case is closed already.")
    if case.state in REFERRED_STATES and _has_confirmed_assessment(case):
        return _(
            "This case was referred on a confirmed assessment: follow it up on its referrals page instead of "
            "closing it without assessment."
        )
    if reason != CloseReason.DUPLICATE:
        return None
    return duplicate_refusal(case=case, duplicate_of=duplicate_of)


def duplicate_refusal(*, case: Case, duplicate_of: int | None) -> str | None:
    """Why `duplicate_of` cannot be the case this one duplicates (None when it can): the part of close_refusal
    the case page shows next to the case-number field."""
    if duplicate_of is None:
        return _("Give the number of the case this one duplicates.")
    if duplicate_of == case.pk:
        return _("A case cannot be a duplicate of itself: give the number of the other case.")
    original = Case.objects.filter(pk=duplicate_of).only("pk", "duplicate_of_id").first()
    if original is None:
        return _("There is no case #%(n)d: check the number of the case this one duplicates.") % {"n": duplicate_of}
    if original.duplicate_of_id is not None:
        return _("Case #%(n)d is itself a duplicate of case #%(m)d: give #%(m)d instead.") % {
            "n": duplicate_of,
            "m": original.duplicate_of_id,
        }
    return None


def _has_confirmed_assessment(case: Case) -> bool:
    return Assessment.objects.filter(case_id=case.pk, status=AssessmentStatus.CONFIRMED).exists()


def may_close_without_assessment(case: Case) -> bool:
    """Whether the case page offers "close without assessment" at all: not for a closed case, nor for one
    referred on a confirmed assessment (its referrals decide how it ends)."""
    if case.state == CaseState.CLOSED:
        return False
    return not (case.state in REFERRED_STATES and _has_confirmed_assessment(case))


def close_case(
    *,
    case: Case,
    actor: StaffUser,
    reason: str,
    expected_version: int | None,
    duplicate_of: int | None = None,
) -> Case:
    """A status-only action: close as duplicate (of another case, linked both ways), not illegal, unreachable or
    no action possible."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        check_version(locked, expected_version)
        holder = locked.claim_holder()
        if holder is not None and holder.pk != actor.pk and not actor.has_role(SUPERVISOR):
            raise CaseClaimed(_("%(who)s is working on this case.") % {"who": holder})
        refusal = close_refusal(case=locked, reason=reason, duplicate_of=duplicate_of)
        if refusal is not None:
            raise CaseError(refusal)
        details: dict[str, Any] = {"status_only": True}
        if reason == CloseReason.DUPLICATE and duplicate_of is not None:
            original = Case.objects.select_for_update().get(pk=duplicate_of)
            details["duplicate_of"] = original.pk
            locked.duplicate_of = original
            locked.save(update_fields=["duplicate_of", "updated_at"])
            # The other case's timeline says so too: the link goes both ways.
            CaseEvent.objects.create(
                case=original, at=timezone.now(), actor=actor, kind="duplicate_linked", details={"duplicate": locked.pk}
            )
        transition_case(case=locked, to_state=CaseState.CLOSED, actor=actor, close_reason=reason, details=details)
    case.refresh_from_db()
    return case


def add_note(*, case: Case, author: StaffUser, text: str) -> CaseNote:
    text = text.strip()
    if not text:
        raise CaseError(_("Write something in the note."))
    if len(text) > NOTE_MAX_LENGTH:
        raise CaseError(_("A note can be at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH})
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=author, text=text)
        CaseEvent.objects.create(case=case, at=note.created_at, actor=author, kind="note", details={"note": note.pk})
        audit.record(
            actor=author, action="case.note_added", object_type="case", object_id=case.pk, details={"note": note.pk}
        )
    return note


def record_case_view(*, case: Case, viewer: StaffUser) -> None:
    """Every opening of a case page (decrypted report metadata) is audited."""
    with transaction.atomic():
        audit.record(actor=viewer, action="case.viewed", object_type="case", object_id=case.pk)


def reveal_case_url(*, case: Case, actor: StaffUser) -> str:
    """The case's URL for copying: an explicit, audited action."""
    with transaction.atomic():
        url = case.canonical_url
        source = "canonical"
        if not url:
            first = ReportedUrl.objects.filter(case=case).order_by("report_id", "position").first()
            url = first.url if first is not None else ""
            source = "reported"
        if not url:
            raise CaseError(_("This case has no URL."))
        audit.record(
            actor=actor, action="case.url_copied", object_type="case", object_id=case.pk, details={"source": source}
        )
    return url
