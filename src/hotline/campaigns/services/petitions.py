"""A petition's life as campaigners run it: draft, edit, open, close (by hand or at the deadline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hotline.campaigns.errors import InvalidInput, NotAllowed
from hotline.campaigns.models import Petition, PetitionState
from hotline.campaigns.services._fields import reject_unknown_fields
from hotline.core import audit
from hotline.staff.models import StaffUser

PETITION_TEXT_FIELDS = ("title_sv", "title_en", "text_sv", "text_en", "recipient_sv", "recipient_en")
PETITION_FIELDS = (*PETITION_TEXT_FIELDS, "slug", "goal", "deadline")
RESERVED_SLUGS = frozenset({"confirm", "new", "thanks", "confirmed"})


def _check_petition_fields(fields: dict[str, Any], *, petition: Petition | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = dict(fields)
    for key in ("title_sv", "text_sv", "recipient_sv"):
        if key in cleaned and not str(cleaned[key] or "").strip():
            errors[key] = _("This field is required.")
    if "slug" in cleaned:
        slug = slugify(cleaned["slug"] or cleaned.get("title_sv") or "")
        if not slug:
            errors["slug"] = _("Enter a web address made of letters, digits and hyphens.")
        elif slug in RESERVED_SLUGS:
            errors["slug"] = _("This web address is reserved; choose another.")
        elif Petition.objects.filter(slug=slug).exclude(pk=petition.pk if petition else 0).exists():
            errors["slug"] = _("Another petition already has this web address.")
        cleaned["slug"] = slug
    if "goal" in cleaned and (cleaned["goal"] is None or int(cleaned["goal"]) < 1):
        errors["goal"] = _("The goal must be at least 1 signature.")
    deadline = cleaned.get("deadline")
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    if errors:
        raise InvalidInput(errors)
    return cleaned


def create_petition(*, actor: StaffUser | str, **fields: Any) -> Petition:
    """A new petition in draft. `fields`: title_sv/en, text_sv/en, recipient_sv/en, slug, goal, deadline."""
    reject_unknown_fields(fields, PETITION_FIELDS, "petition")
    cleaned = _check_petition_fields({"slug": "", **fields}, petition=None)
    with transaction.atomic():
        petition = Petition.objects.create(created_by=actor if isinstance(actor, StaffUser) else None, **cleaned)
        audit.record(actor=actor, action="petition.created", object_type="petition", object_id=petition.pk)
    return petition


def update_petition(*, petition: Petition, actor: StaffUser, **fields: Any) -> Petition:
    """Edit a petition. Once open, the text people signed is locked: only goal and deadline change."""
    reject_unknown_fields(fields, PETITION_FIELDS, "petition")
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state == PetitionState.CLOSED:
            raise NotAllowed(_("A closed petition cannot be changed."))
        changed = {k: v for k, v in fields.items() if getattr(locked, k) != v}
        if locked.state == PetitionState.OPEN:
            locked_fields = set(changed) & {*PETITION_TEXT_FIELDS, "slug"}
            if locked_fields:
                raise NotAllowed(_("The text of an open petition cannot change: people have signed it."))
        cleaned = _check_petition_fields(changed, petition=locked)
        for key, value in cleaned.items():
            setattr(locked, key, value)
        locked.save()
        audit.record(
            actor=actor,
            action="petition.updated",
            object_type="petition",
            object_id=locked.pk,
            details={"fields": sorted(cleaned)},
        )
    return locked


def open_petition(*, petition: Petition, actor: StaffUser | str) -> Petition:
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state != PetitionState.DRAFT:
            raise NotAllowed(_("Only a draft can be opened."))
        if locked.deadline is not None and locked.deadline <= timezone.now():
            raise NotAllowed(_("The deadline has passed: move it before opening."))
        locked.state = PetitionState.OPEN
        locked.opened_at = timezone.now()
        locked.save(update_fields=["state", "opened_at", "updated_at"])
        audit.record(actor=actor, action="petition.opened", object_type="petition", object_id=locked.pk)
    return locked


def close_petition(*, petition: Petition, actor: StaffUser | str, reason: str = "manual") -> Petition:
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state != PetitionState.OPEN:
            raise NotAllowed(_("Only an open petition can be closed."))
        locked.state = PetitionState.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "closed_at", "updated_at"])
        audit.record(
            actor=actor,
            action="petition.closed",
            object_type="petition",
            object_id=locked.pk,
            details={"reason": reason, "signatures": locked.signature_count},
        )
    return locked


def close_petitions_past_deadline(*, now: datetime | None = None) -> list[int]:
    """Periodic: open petitions whose deadline has come are closed (reason "deadline")."""
    now = now or timezone.now()
    closed = []
    for petition in Petition.objects.filter(state=PetitionState.OPEN, deadline__lte=now):
        try:
            close_petition(petition=petition, actor=audit.SYSTEM, reason="deadline")
        except NotAllowed:
            continue
        closed.append(petition.pk)
    return closed
