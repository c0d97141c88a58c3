"""Claims: an analyst takes a case (so two never work on one at once) and gives it back."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import conf
from hotline.cases.errors import CaseClaimed, CaseError
from hotline.cases.models import Case, CaseEvent, CaseState
from hotline.core import audit
from hotline.core.authz import SUPERVISOR
from hotline.staff.models import StaffUser


def claim_case(*, case: Case, analyst: StaffUser) -> Case:
    """Take (or renew) the claim on a case. Row-locked: two analysts never hold one case at once."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        now = timezone.now()
        if locked.state == CaseState.CLOSED:
            raise CaseError(_("A closed case cannot be claimed."))
        holder = locked.claim_holder(now)
        if holder is not None and holder.pk != analyst.pk:
            raise CaseClaimed(
                _("%(who)s is working on this case (claimed until %(until)s).")
                % {"who": holder, "until": timezone.localtime(locked.claimed_until).strftime("%H:%M")}
            )
        renewed = holder is not None
        locked.claimed_by = analyst
        locked.claimed_until = now + conf.claim_duration()
        locked.save(update_fields=["claimed_by", "claimed_until", "updated_at"])
        if not renewed:
            CaseEvent.objects.create(case=locked, at=now, actor=analyst, kind="claimed")
        audit.record(
            actor=analyst,
            action="case.claimed",
            object_type="case",
            object_id=locked.pk,
            details={"until": locked.claimed_until.isoformat(), "renewed": renewed},
        )
    case.refresh_from_db()
    return case


def release_case(*, case: Case, actor: StaffUser) -> Case:
    """Give a claim back. The holder may, and so may a supervisor (e.g. for an absent analyst)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        now = timezone.now()
        holder = locked.claim_holder(now)
        if holder is None:
            raise CaseError(_("Nobody holds this case."))
        if holder.pk != actor.pk and not actor.has_role(SUPERVISOR):
            raise CaseClaimed(_("Only %(who)s or a supervisor can release this case.") % {"who": holder})
        locked.claimed_by = None
        locked.claimed_until = None
        locked.save(update_fields=["claimed_by", "claimed_until", "updated_at"])
        CaseEvent.objects.create(case=locked, at=now, actor=actor, kind="released", details={"holder": holder.pk})
        audit.record(
            actor=actor, action="case.released", object_type="case", object_id=locked.pk, details={"holder": holder.pk}
        )
    case.refresh_from_db()
    return case
