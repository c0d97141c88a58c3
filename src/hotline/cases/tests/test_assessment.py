"""Assessment: the classification form, the reporter's view beside it, four-eyes review, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from hotline.cases import services
from hotline.cases.conf import four_eyes_verdicts
from hotline.cases.factories import store_report
from hotline.cases.models import Assessment, AssessmentStatus, Case, CaseState, ExposureSession
from hotline.cases.services import AssessmentInput
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "https://img-host.example/gallery/9"

FORM = {
    "verdict": "csam_baseline",
    "kind": "online_material",
    "media_types": ["image", "video"],
    "image_count": "12",
    "video_count": "1",
    "victim_age_group": "prepubescent",
    "victim_gender": "female",
    "site_type": "image_host",
    "commercial": "on",
    "payment_indicators": "A made-up wallet id shown on the page",
    "nexus_server": "on",
    "reasoning": "Baseline material as described in the guideline, section 2.",
}


@pytest.fixture
def case() -> Case:
    report = store_report(URL, reporter_classification="child abuse images")
    services.triage_report(report_id=report.pk)
    return Case.objects.get()


def claimed(case: Case, analyst: Any) -> Case:
    services.claim_case(case=case, analyst=analyst)
    return case


def test_assessing_through_the_page(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    # Opening the page changes nothing: it offers a button that claims the case and starts the clock.
    start = client.get(f"/cases/{case.pk}/assess/")
    assert start.status_code == 200 and f'action="/cases/{case.pk}/assess/start/"' in start.content.decode()
    assert 'name="verdict"' not in start.content.decode()
    case.refresh_from_db()
    assert case.claimed_by is None and not ExposureSession.objects.exists()
    assert client.post(f"/cases/{case.pk}/assess/start/")["Location"] == f"/cases/{case.pk}/assess/"
    page = client.get(f"/cases/{case.pk}/assess/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "child abuse images" in body  # the reporter's classification beside the form
    assert "reassessment" not in body and "ny bedömning" not in body
    for field in ("verdict", "media_types", "victim_age_group", "victim_gender", "site_type", "nexus_offender"):
        assert f'name="{field}"' in body
    case.refresh_from_db()
    assert case.claimed_by == client.user  # the start button claimed the case
    response = client.post(f"/cases/{case.pk}/assess/", {**FORM, "version": case.version})
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.status == AssessmentStatus.CONFIRMED
    assert assessment.media_types == ["image", "video"] and assessment.image_count == 12
    assert assessment.commercial and assessment.payment_indicators.startswith("A made-up wallet")
    assert assessment.nexus_server and not assessment.nexus_victim
    assert assessment.reasoning.startswith("Baseline")
    case.refresh_from_db()
    assert case.state == CaseState.ASSESSED
    report = case.reported_urls.get().report
    assert report.reporter_classification == "child abuse images"  # never overwritten
    entry = AuditEntry.objects.get(action="case.assessed")
    assert entry.details["verdict"] == "csam_baseline" and "reasoning" not in str(entry.details)


def test_the_form_refuses_bad_input_with_400(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    client.post(f"/cases/{case.pk}/assess/start/")
    case.refresh_from_db()
    bad = client.post(f"/cases/{case.pk}/assess/", {**FORM, "verdict": "maybe", "version": case.version})
    assert bad.status_code == 400 and not Assessment.objects.exists()
    payment_without_commercial = {**FORM, "version": case.version}
    del payment_without_commercial["commercial"]
    assert client.post(f"/cases/{case.pk}/assess/", payment_without_commercial).status_code == 400


def test_a_stale_form_is_refused(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    client.post(f"/cases/{case.pk}/assess/start/")
    case.refresh_from_db()
    seen = case.version
    services.triage_report(report_id=store_report(URL + "?fbclid=1").pk)  # a duplicate arrives meanwhile
    response = client.post(f"/cases/{case.pk}/assess/", {**FORM, "version": seen})
    assert response.status_code == 409
    assert not Assessment.objects.exists()


def test_assessing_needs_the_claim(case: Case, make_staff: Any) -> None:
    johan, sara = make_staff("analyst"), make_staff("analyst")
    data = AssessmentInput(verdict="not_csam", kind="online_material")
    with pytest.raises(services.NotClaimed):
        services.assess_case(case=case, analyst=johan, data=data, expected_version=case.version)
    claimed(case, sara)
    with pytest.raises(services.CaseClaimed):
        services.assess_case(case=case, analyst=johan, data=data, expected_version=case.version)


def test_the_form_of_a_case_held_by_another_is_refused(case: Case, staff_client: Any, make_staff: Any) -> None:
    claimed(case, make_staff("analyst"))
    other = staff_client("analyst")
    assert other.get(f"/cases/{case.pk}/assess/").status_code == 409
    assert other.post(f"/cases/{case.pk}/assess/start/").status_code == 409


def test_four_eyes_verdict_waits_for_a_supervisor(case: Case, make_staff: Any, staff_client: Any) -> None:
    analyst = make_staff("analyst")
    claimed(case, analyst)
    data = AssessmentInput(verdict="csam_national", kind="online_material", reasoning="National law only.")
    assessment = services.assess_case(case=case, analyst=analyst, data=data, expected_version=case.version)
    assert assessment.status == AssessmentStatus.AWAITING_REVIEW
    case.refresh_from_db()
    assert case.state == CaseState.IN_ASSESSMENT

    boss = staff_client("supervisor")
    page = boss.get(f"/cases/assessments/{assessment.pk}/review/")
    assert page.status_code == 200 and "National law only." in page.content.decode()
    response = boss.post(
        f"/cases/assessments/{assessment.pk}/review/", {"decision": "confirm", "version": case.version}
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    case.refresh_from_db()
    assert assessment.status == AssessmentStatus.CONFIRMED and assessment.reviewed_by == boss.user
    assert case.state == CaseState.ASSESSED
    assert AuditEntry.objects.filter(action="assessment.reviewed", details__approved=True).exists()


def test_a_supervisor_sends_an_assessment_back_with_a_reason(case: Case, make_staff: Any) -> None:
    analyst, boss = make_staff("analyst"), make_staff("supervisor")
    claimed(case, analyst)
    data = AssessmentInput(verdict="harmful_not_illegal", kind="online_material")
    assessment = services.assess_case(case=case, analyst=analyst, data=data, expected_version=case.version)
    case.refresh_from_db()
    with pytest.raises(services.ReviewRefused):
        services.review_assessment(
            assessment=assessment, reviewer=boss, approve=False, note="", expected_version=case.version
        )
    services.review_assessment(
        assessment=assessment, reviewer=boss, approve=False, note="Check the ages again.", expected_version=case.version
    )
    assessment.refresh_from_db()
    case.refresh_from_db()
    assert assessment.status == AssessmentStatus.REJECTED and assessment.review_note == "Check the ages again."
    assert case.state == CaseState.IN_ASSESSMENT


def test_nobody_reviews_their_own_assessment(case: Case, make_staff: Any, staff_client: Any) -> None:
    both = make_staff("analyst", "supervisor")
    claimed(case, both)
    data = AssessmentInput(verdict="csam_national", kind="online_material")
    assessment = services.assess_case(case=case, analyst=both, data=data, expected_version=case.version)
    case.refresh_from_db()
    with pytest.raises(services.ReviewRefused):
        services.review_assessment(assessment=assessment, reviewer=both, approve=True, expected_version=case.version)
    analyst_only = make_staff("analyst")
    with pytest.raises(services.ReviewRefused):
        services.review_assessment(
            assessment=assessment, reviewer=analyst_only, approve=True, expected_version=case.version
        )


def test_the_review_page_is_for_supervisors_only(case: Case, make_staff: Any, staff_client: Any) -> None:
    analyst = make_staff("analyst")
    claimed(case, analyst)
    data = AssessmentInput(verdict="csam_national", kind="online_material")
    assessment = services.assess_case(case=case, analyst=analyst, data=data, expected_version=case.version)
    assert staff_client("analyst").get(f"/cases/assessments/{assessment.pk}/review/").status_code == 403


def test_four_eyes_setting(settings: Any, case: Case, make_staff: Any) -> None:
    assert four_eyes_verdicts() == {"csam_national", "harmful_not_illegal"}
    settings.HOTLINE_FOUR_EYES_VERDICTS = "csam_baseline"
    analyst = make_staff("analyst")
    claimed(case, analyst)
    data = AssessmentInput(verdict="csam_baseline", kind="online_material")
    assert (
        services.assess_case(case=case, analyst=analyst, data=data, expected_version=case.version).status
        == AssessmentStatus.AWAITING_REVIEW
    )
    settings.HOTLINE_FOUR_EYES_VERDICTS = ""
    assert four_eyes_verdicts() == frozenset()
    settings.HOTLINE_FOUR_EYES_VERDICTS = "csam_baseline,csam_natinal"  # a typo must not switch it off
    with pytest.raises(ImproperlyConfigured):
        four_eyes_verdicts()


def test_reassessment_keeps_history(case: Case, make_staff: Any) -> None:
    analyst = make_staff("analyst")
    claimed(case, analyst)
    first = services.assess_case(
        case=case,
        analyst=analyst,
        data=AssessmentInput(verdict="not_csam", kind="online_material"),
        expected_version=case.version,
    )
    case.refresh_from_db()
    assert case.state == CaseState.ASSESSED
    second = services.assess_case(
        case=case,
        analyst=analyst,
        data=AssessmentInput(verdict="csam_baseline", kind="online_material"),
        expected_version=case.version,
    )
    first.refresh_from_db()
    case.refresh_from_db()
    assert first.status == AssessmentStatus.SUPERSEDED and second.status == AssessmentStatus.CONFIRMED
    assert case.assessments.count() == 2 and case.state == CaseState.ASSESSED
    transitions = list(case.events.filter(kind="transition").values_list("from_state", "to_state"))
    assert ("assessed", "in_assessment") in transitions


def test_a_closed_case_is_not_assessed(case: Case, make_staff: Any) -> None:
    analyst = make_staff("analyst")
    claimed(case, analyst)
    services.close_case(case=case, actor=analyst, reason="unreachable", expected_version=case.version)
    Case.objects.filter(pk=case.pk).update(claimed_by=analyst, claimed_until=timezone.now() + timedelta(hours=1))
    case.refresh_from_db()
    with pytest.raises(services.CaseError):
        services.assess_case(
            case=case,
            analyst=analyst,
            data=AssessmentInput(verdict="not_csam", kind="online_material"),
            expected_version=case.version,
        )


def test_the_case_page_shows_assessment_history(case: Case, make_staff: Any, staff_client: Any) -> None:
    client = staff_client("analyst")
    claimed(case, client.user)
    services.assess_case(
        case=case,
        analyst=client.user,
        data=AssessmentInput(verdict="not_csam", kind="online_material", reasoning="Adult model, documented."),
        expected_version=case.version,
    )
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Adult model, documented." in body
    timeline = body.split('id="timeline"')[1]
    assert "assessment" in timeline.lower() or "bedömning" in timeline.lower()


def test_a_link_from_another_site_never_claims_a_case(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    response = client.get(f"/cases/{case.pk}/assess/", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.claimed_by is None
    assert not AuditEntry.objects.filter(action="case.claimed").exists()
    # From our own pages the page offers the start button; still nothing changes until it is pressed.
    assert client.get(f"/cases/{case.pk}/assess/", HTTP_SEC_FETCH_SITE="same-origin").status_code == 200
    case.refresh_from_db()
    assert case.claimed_by is None
