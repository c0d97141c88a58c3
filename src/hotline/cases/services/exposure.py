"""Analyst welfare: time spent on the assessment page (exposure sessions), started and ended by the page."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hotline.cases.models import Case, ExposureSession
from hotline.cases.services._shared import end_open_exposure
from hotline.cases.services.claims import claim_case
from hotline.core import audit
from hotline.staff.models import StaffUser


def start_exposure(*, analyst: StaffUser, case: Case) -> ExposureSession:
    """Opening the assessment page: time in assessment starts (an earlier open session ends first)."""
    with transaction.atomic():
        now = timezone.now()
        end_open_exposure(analyst=analyst, now=now)
        session = ExposureSession.objects.create(analyst=analyst, case=case, started_at=now)
        audit.record(
            actor=analyst,
            action="case.assessment_opened",
            object_type="case",
            object_id=case.pk,
            details={"exposure_session": session.pk},
        )
    return session


def end_exposure(*, analyst: StaffUser, case: Case | None = None) -> int:
    """Leaving the assessment page (or submitting it). Returns how many sessions were ended."""
    with transaction.atomic():
        ended = end_open_exposure(analyst=analyst, now=timezone.now())
        if ended:
            audit.record(
                actor=analyst,
                action="case.assessment_left",
                object_type="case",
                object_id=case.pk if case is not None else "",
                details={"sessions": ended},
            )
    return ended


def begin_assessment(*, case: Case, analyst: StaffUser) -> ExposureSession:
    """The analyst's explicit "start assessing" (a POST): take or renew the claim and start counting time in
    assessment, both or neither. A page load never does this (tabs and link prefetching would claim cases)."""
    with transaction.atomic():
        claim_case(case=case, analyst=analyst)
        return start_exposure(analyst=analyst, case=case)
