"""Casework on a case besides its assessment: the status-only close, notes, the audited opening of a case page,
and copying its URL."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.cases.errors import CaseClaimed, CaseError
from hotline.cases.models import Case, CaseEvent, CaseNote, CaseState, CloseReason, ReportedUrl
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


def close_case(
    *,
    case: Case,
    actor: StaffUser,
    reason: str,
    expected_version: int | None,
    duplicate_of: int | None = None,
) -> Case:
    """A status-only action: close as duplicate, not illegal, unreachable or no action possible."""
    if reason not in STATUS_ONLY_CLOSE_REASONS:
        raise CaseError(_("Choose why the case is closed."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        check_version(locked, expected_version)
        holder = locked.claim_holder()
        if holder is not None and holder.pk != actor.pk and not actor.has_role(SUPERVISOR):
            raise CaseClaimed(_("%(who)s is working on this case.") % {"who": holder})
        details: dict[str, Any] = {"status_only": True}
        if reason == CloseReason.DUPLICATE and duplicate_of is not None:
            if duplicate_of == locked.pk or not Case.objects.filter(pk=duplicate_of).exists():
                raise CaseError(_("The case it duplicates does not exist."))
            details["duplicate_of"] = duplicate_of
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
