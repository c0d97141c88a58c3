"""Supervisor views: four-eyes queue, overdue cases per state, workload per analyst."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from hotline.cases import selectors, services
from hotline.cases.conf import overdue_hours
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseState
from hotline.cases.services import AssessmentInput

pytestmark = pytest.mark.django_db


def new_case(url: str) -> Case:
    return Case.objects.get(pk=services.triage_report(report_id=store_report(url).pk).case_ids[0])


def test_overdue_cases_per_state(settings: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(hours=80), tick=False):
        old = new_case("https://files.example.test/old")
    fresh = new_case("https://files.example.test/fresh")
    overdue = selectors.overdue_cases()
    assert [o.case.pk for o in overdue] == [old.pk]
    assert overdue[0].limit_hours == 72 and overdue[0].hours_in_state >= 79
    settings.HOTLINE_OVERDUE_HOURS = "triaged=100"
    assert overdue_hours()["triaged"] == 100 and overdue_hours()["assessed"] == 72
    assert selectors.overdue_cases() == []
    assert fresh.pk not in [o.case.pk for o in selectors.overdue_cases()]


def test_closed_cases_are_never_overdue() -> None:
    with time_machine.travel(timezone.now() - timedelta(days=100), tick=False):
        case = new_case("https://files.example.test/closed")
        services.transition_case(case=case, to_state=CaseState.CLOSED, actor="system", close_reason="removed")
    assert selectors.overdue_cases() == []


def test_supervision_page(staff_client: Any, make_staff: Any) -> None:
    analyst = make_staff("analyst", email="johan@hotline.example")
    waiting = new_case("https://img-host.example/review")
    services.claim_case(case=waiting, analyst=analyst)
    assessment = services.assess_case(
        case=waiting,
        analyst=analyst,
        data=AssessmentInput(verdict="csam_national", kind="online_material"),
        expected_version=waiting.version,
    )
    with time_machine.travel(timezone.now() - timedelta(hours=100), tick=False):
        late = new_case("https://files.example.test/late")
    boss = staff_client("supervisor")
    response = boss.get("/cases/supervision/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/cases/assessments/{assessment.pk}/review/" in body
    assert f"/cases/{late.pk}/" in body.split('id="overdue-heading"')[1]
    workload = {w.analyst.email: w for w in selectors.workload()}
    johan = workload["johan@hotline.example"]
    assert johan.claimed == 1 and johan.assessed_today == 1 and johan.awaiting_review == 1


def test_supervision_is_for_supervisors(staff_client: Any) -> None:
    assert staff_client("analyst").get("/cases/supervision/").status_code == 403
