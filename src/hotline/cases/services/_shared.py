"""Helpers the service modules of cases share: the system actor, version checks, the claim rule, ending
exposure sessions. Private to hotline.cases.services (not re-exported)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import conf
from hotline.cases.errors import CaseClaimed, NotClaimed, StaleCase
from hotline.cases.models import Case, ExposureSession
from hotline.staff.models import StaffUser

SYSTEM = "system"  # the actor of what the system does by itself (triage, upkeep, retention)


def bump_version(case_id: int) -> None:
    """A change that does not go through transition_case still moves the case's version on (optimistic locking)."""
    Case.objects.filter(pk=case_id).update(version=F("version") + 1, updated_at=timezone.now())


def check_version(case: Case, expected_version: int | None) -> None:
    """StaleCase when the page the change came from showed an older version of the case."""
    if expected_version is not None and case.version != expected_version:
        raise StaleCase()


def require_claim(case: Case, analyst: StaffUser, now: datetime) -> None:
    """Only the analyst holding an unexpired claim may work on the case."""
    holder = case.claim_holder(now)
    if holder is None:
        raise NotClaimed(_("Claim the case first."))
    if holder.pk != analyst.pk:
        raise CaseClaimed(_("%(who)s is working on this case.") % {"who": holder})


def end_open_exposure(*, analyst: StaffUser, now: datetime) -> int:
    """End the analyst's open exposure sessions (each capped at HOTLINE_EXPOSURE_SESSION_CAP), in the caller's
    transaction. Returns how many were ended."""
    cap = conf.exposure_session_cap()
    ended = 0
    for session in ExposureSession.objects.select_for_update().filter(analyst=analyst, ended_at=None):
        session.ended_at = min(now, session.started_at + cap)
        session.save(update_fields=["ended_at"])
        ended += 1
    return ended
