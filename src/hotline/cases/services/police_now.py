"""Contact police now: a situation report of a child at risk in this country goes to the police at once, with a
short situation assessment (verdict, urgency, notes; no media fields) instead of waiting for an assessment of
material. The referral itself is planned by the app answering hooks.police_now_requested (referrals)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import hooks
from hotline.cases.errors import CaseError
from hotline.cases.models import Case, CaseEvent, CaseNote, SituationUrgency, SituationVerdict
from hotline.cases.rules import police_now_offered
from hotline.cases.services._shared import check_version
from hotline.cases.services.casework import NOTE_MAX_LENGTH
from hotline.core import audit
from hotline.staff.models import StaffUser


def police_now_refusal(case: Case) -> str | None:
    """Why a case does not offer "contact police now", or None when it does."""
    if not police_now_offered(
        kind=case.kind,
        state=case.state,
        nexus_victim_hint=case.nexus_victim_hint,
        nexus_place_hint=case.nexus_place_hint,
    ):
        return _(
            "“Contact police now” is for an open case of trafficking, grooming or a travelling offender where a "
            "tipster says the child or the place is in this country. Use the assessment instead."
        )
    return None


def contact_police_now(
    *, case: Case, actor: StaffUser, verdict: str, urgency: str, notes: str, expected_version: int | None
) -> list[int]:
    """Record the situation assessment (a note and a timeline event), plan and enqueue the police referral, in
    one audited transaction. Returns the ids of the referrals planned."""
    notes = (notes or "").strip()
    if verdict not in SituationVerdict.values:
        raise CaseError(_("Choose what the situation is."))
    if urgency not in SituationUrgency.values:
        raise CaseError(_("Choose how urgent it is."))
    if not notes:
        raise CaseError(_("Write what the police need to know now."))
    if len(notes) > NOTE_MAX_LENGTH:
        raise CaseError(_("A note can be at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        check_version(locked, expected_version)
        refusal = police_now_refusal(locked)
        if refusal:
            raise CaseError(refusal)
        now = timezone.now()
        # The notes are the analyst's words about a child at risk: encrypted like every note.
        note = CaseNote.objects.create(case=locked, author=actor, text=notes, created_at=now)
        responses = hooks.police_now_requested.send(sender=Case, case=locked, actor=actor, urgency=urgency)
        referral_ids: list[int] = []
        for _receiver, response in responses:
            answer: object = response
            if isinstance(answer, int):
                referral_ids.append(answer)
        if not referral_ids:
            raise CaseError(_("No referral service is installed: contact the police by phone and write a note."))
        details = {"verdict": verdict, "urgency": urgency, "note": note.pk, "referrals": referral_ids}
        CaseEvent.objects.create(case=locked, at=now, actor=actor, kind="police_now", details=details)
        audit.record(actor=actor, action="case.police_now", object_type="case", object_id=locked.pk, details=details)
    return referral_ids
