"""Assessments and four-eyes reviews: an analyst's verdict on a case, and a supervisor's confirmation of the
verdicts that need one (HOTLINE_FOUR_EYES_VERDICTS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import conf
from hotline.cases.errors import CaseError, ReviewRefused
from hotline.cases.models import Assessment, AssessmentStatus, Case, CaseEvent, CaseState
from hotline.cases.rules import needs_four_eyes
from hotline.cases.services._shared import bump_version, check_version, end_open_exposure, require_claim
from hotline.cases.services.transitions import transition_case
from hotline.core import audit
from hotline.core.authz import SUPERVISOR
from hotline.staff.models import StaffUser


@dataclass(frozen=True)
class AssessmentInput:
    verdict: str
    kind: str
    media_types: list[str] = field(default_factory=list)
    image_count: int | None = None
    video_count: int | None = None
    victim_age_group: str = ""
    victim_gender: str = ""
    site_type: str = ""
    commercial: bool = False
    payment_indicators: str = ""
    nexus_server: bool = False
    nexus_victim: bool = False
    nexus_offender: bool = False
    reasoning: str = ""


def _move_to(case: Case, to_state: str, actor: StaffUser, details: dict[str, Any] | None = None) -> None:
    if case.state != to_state:
        transition_case(case=case, to_state=to_state, actor=actor, details=details)


def assess_case(*, case: Case, analyst: StaffUser, data: AssessmentInput, expected_version: int | None) -> Assessment:
    """Record an assessment. Verdicts under four-eyes wait for a supervisor; older ones are superseded."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        check_version(locked, expected_version)
        now = timezone.now()
        require_claim(locked, analyst, now)
        if locked.state == CaseState.CLOSED:
            raise CaseError(_("This case is closed. It reopens by itself when it is reported again."))
        if locked.state == CaseState.NEW:
            _move_to(locked, CaseState.TRIAGED, analyst)
        _move_to(locked, CaseState.IN_ASSESSMENT, analyst)
        superseded = list(
            Assessment.objects.filter(
                case=locked, status__in=[AssessmentStatus.CONFIRMED, AssessmentStatus.AWAITING_REVIEW]
            ).values_list("pk", flat=True)
        )
        Assessment.objects.filter(pk__in=superseded).update(status=AssessmentStatus.SUPERSEDED)
        four_eyes = needs_four_eyes(data.verdict, conf.four_eyes_verdicts())
        assessment = Assessment.objects.create(
            case=locked,
            analyst=analyst,
            created_at=now,
            status=AssessmentStatus.AWAITING_REVIEW if four_eyes else AssessmentStatus.CONFIRMED,
            verdict=data.verdict,
            kind=data.kind,
            media_types=sorted(set(data.media_types)),
            image_count=data.image_count,
            video_count=data.video_count,
            victim_age_group=data.victim_age_group,
            victim_gender=data.victim_gender,
            site_type=data.site_type,
            commercial=data.commercial,
            payment_indicators=data.payment_indicators if data.commercial else "",
            nexus_server=data.nexus_server,
            nexus_victim=data.nexus_victim,
            nexus_offender=data.nexus_offender,
            reasoning=data.reasoning,
        )
        if not four_eyes:
            _move_to(locked, CaseState.ASSESSED, analyst, {"assessment": assessment.pk})
        bump_version(locked.pk)
        CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=analyst,
            kind="assessment",
            details={"assessment": assessment.pk, "verdict": data.verdict, "status": assessment.status},
        )
        end_open_exposure(analyst=analyst, now=now)
        audit.record(
            actor=analyst,
            action="case.assessed",
            object_type="case",
            object_id=locked.pk,
            details={
                "assessment": assessment.pk,
                "verdict": data.verdict,
                "status": assessment.status,
                "superseded": superseded,
            },
        )
    case.refresh_from_db()
    return assessment


def review_assessment(
    *, assessment: Assessment, reviewer: StaffUser, approve: bool, note: str = "", expected_version: int | None
) -> Assessment:
    """Four-eyes: a supervisor other than the assessing analyst confirms or sends back an assessment."""
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        case = Case.objects.select_for_update().get(pk=locked.case_id)
        check_version(case, expected_version)
        if locked.status != AssessmentStatus.AWAITING_REVIEW:
            raise ReviewRefused(_("This assessment is not waiting for review."))
        if not reviewer.has_role(SUPERVISOR):
            raise ReviewRefused(_("Only a supervisor can review an assessment."))
        if locked.analyst_id == reviewer.pk:
            raise ReviewRefused(_("Four eyes means another person: you cannot review your own assessment."))
        if not approve and not note.strip():
            raise ReviewRefused(_("Say why the assessment is sent back."))
        now = timezone.now()
        locked.status = AssessmentStatus.CONFIRMED if approve else AssessmentStatus.REJECTED
        locked.reviewed_by = reviewer
        locked.reviewed_at = now
        locked.review_note = note.strip()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        if approve and case.state == CaseState.IN_ASSESSMENT:
            _move_to(case, CaseState.ASSESSED, reviewer, {"assessment": locked.pk, "review": "confirmed"})
        bump_version(case.pk)
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=reviewer,
            kind="review",
            details={"assessment": locked.pk, "approved": approve},
        )
        audit.record(
            actor=reviewer,
            action="assessment.reviewed",
            object_type="case",
            object_id=case.pk,
            details={"assessment": locked.pk, "approved": approve, "verdict": locked.verdict},
        )
    assessment.refresh_from_db()
    return assessment
