"""Anti-abuse: a campaigner invalidates a petition's signatures by email domain and/or time window."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import selectors
from hotline.campaigns.errors import InvalidInput
from hotline.campaigns.models import Petition, SignatureInvalidation, SignatureState
from hotline.core import audit
from hotline.staff.models import StaffUser


def invalidate_signatures(
    *,
    petition: Petition,
    actor: StaffUser,
    domain: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    reason: str = "",
) -> SignatureInvalidation:
    """Invalidate every signature of `petition` at `domain` and/or made in [window_start, window_end).

    Invalidated signatures stop counting (the counter drops in the same transaction) and can never
    be confirmed. The audit entry names the campaigner and the numbers, not the people.
    """
    domain = domain.strip().lower()
    if not domain and not (window_start and window_end):
        raise InvalidInput({"domain": _("Choose an email domain or a time window (or both).")})
    if (window_start is None) != (window_end is None) or (window_start and window_end and window_start >= window_end):
        raise InvalidInput({"window_start": _("The time window needs a start before its end.")})
    with transaction.atomic():
        candidates = selectors.signatures_to_invalidate(
            petition, domain=domain, window_start=window_start, window_end=window_end
        )
        # Signature rows first (in id order, so two invalidations cannot deadlock), the petition after.
        locked_states = candidates.select_for_update().order_by("pk").values_list("state", flat=True)
        confirmed = sum(1 for state in locked_states if state == SignatureState.CONFIRMED)
        now = timezone.now()
        invalidation = SignatureInvalidation.objects.create(
            petition=petition,
            actor=actor,
            at=now,
            domain=domain,
            window_start=window_start,
            window_end=window_end,
            reason=reason.strip()[:500],
        )
        total = candidates.update(state=SignatureState.INVALIDATED, invalidated_at=now, invalidation=invalidation)
        SignatureInvalidation.objects.filter(pk=invalidation.pk).update(
            signatures_invalidated=total, confirmed_invalidated=confirmed
        )
        if confirmed:
            Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") - confirmed)
        audit.record(
            actor=actor,
            action="petition.signatures_invalidated",
            object_type="petition",
            object_id=petition.pk,
            details={
                "invalidation": invalidation.pk,
                "domain": domain,
                "window_start": window_start.isoformat() if window_start else None,
                "window_end": window_end.isoformat() if window_end else None,
                "signatures": total,
                "confirmed": confirmed,
            },
        )
    invalidation.refresh_from_db()
    return invalidation
