"""Analyst welfare: time in assessment per analyst per day, own view, team view, daily-limit warning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from hotline.cases import selectors, services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, ExposureSession
from hotline.cases.services import AssessmentInput

pytestmark = pytest.mark.django_db

MORNING = "2026-03-02 08:00 +01:00"


@pytest.fixture
def case() -> Case:
    services.triage_report(report_id=store_report("https://files.example.test/w/1").pk)
    return Case.objects.get()


def test_starting_the_assessment_starts_a_session_and_leaving_ends_it(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    with time_machine.travel(MORNING, tick=False) as clock:
        client.post(f"/cases/{case.pk}/assess/start/")
        session = ExposureSession.objects.get()
        assert session.analyst == client.user and session.case == case and session.ended_at is None
        clock.shift(timedelta(minutes=12))
        assert client.post(f"/cases/{case.pk}/assess/leave/").status_code == 302
        session.refresh_from_db()
        assert session.ended_at == session.started_at + timedelta(minutes=12)
        assert selectors.exposure_today(analyst=client.user).minutes == 12
        # The page's beacon on leaving gets an empty answer.
        assert client.post(f"/cases/{case.pk}/assess/leave/", {"beacon": "1"}).status_code == 204


def test_submitting_the_assessment_ends_the_session(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    with time_machine.travel(MORNING, tick=False) as clock:
        client.post(f"/cases/{case.pk}/assess/start/")
        clock.shift(timedelta(minutes=7))
        case.refresh_from_db()
        client.post(
            f"/cases/{case.pk}/assess/", {"verdict": "not_csam", "kind": "online_material", "version": case.version}
        )
        session = ExposureSession.objects.get()
        assert session.ended_at is not None
        assert selectors.exposure_today(analyst=client.user).minutes == 7


def test_a_page_left_open_counts_at_most_the_cap(case: Case, make_staff: Any, settings: Any) -> None:
    settings.HOTLINE_EXPOSURE_SESSION_CAP_MINUTES = 30
    analyst = make_staff("analyst")
    with time_machine.travel(MORNING, tick=False) as clock:
        services.start_exposure(analyst=analyst, case=case)
        clock.shift(timedelta(hours=3))
        assert selectors.exposure_today(analyst=analyst).minutes == 30
        services.start_exposure(analyst=analyst, case=case)  # a new session ends the forgotten one at the cap
        first = ExposureSession.objects.order_by("started_at").first()
        assert first is not None and first.ended_at == first.started_at + timedelta(minutes=30)


def test_warning_near_and_over_the_daily_limit(case: Case, staff_client: Any, settings: Any) -> None:
    settings.HOTLINE_EXPOSURE_LIMIT_MINUTES = 20
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    with time_machine.travel(MORNING, tick=False) as clock:
        for minutes in (10, 7):
            services.start_exposure(analyst=client.user, case=case)
            clock.shift(timedelta(minutes=minutes))
            services.end_exposure(analyst=client.user)
        page = client.get("/cases/").content.decode()
        assert "17 of 20 minutes" in page and "close to today's suggested limit" in page
        services.start_exposure(analyst=client.user, case=case)
        clock.shift(timedelta(minutes=5))
        services.end_exposure(analyst=client.user)
        page = client.get("/cases/").content.decode()
        assert "22 of 20 minutes" in page and "reached today's suggested limit" in page


def test_exposure_resets_the_next_day(case: Case, make_staff: Any) -> None:
    analyst = make_staff("analyst")
    with time_machine.travel(MORNING, tick=False) as clock:
        services.start_exposure(analyst=analyst, case=case)
        clock.shift(timedelta(minutes=25))
        services.end_exposure(analyst=analyst)
        assert selectors.exposure_today(analyst=analyst).minutes == 25
        clock.shift(timedelta(days=1))
        assert selectors.exposure_today(analyst=analyst).minutes == 0


def test_supervisor_sees_the_team(case: Case, make_staff: Any, staff_client: Any) -> None:
    johan = make_staff("analyst", email="johan@hotline.example")
    boss = staff_client("supervisor")
    with time_machine.travel(MORNING, tick=False) as clock:
        services.start_exposure(analyst=johan, case=case)
        clock.shift(timedelta(minutes=25))
        services.end_exposure(analyst=johan)
        team = {e.analyst.email: e.minutes for e in selectors.team_exposure()}
        assert team["johan@hotline.example"] == 25 and team[boss.user.email] == 0
        body = boss.get("/cases/supervision/").content.decode()
        assert "johan@hotline.example" in body and "<td>25</td>" in body


def test_status_only_actions_need_no_exposure(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    client.post(f"/cases/{case.pk}/close/", {"reason": "unreachable", "version": case.version, "confirmed": "yes"})
    assert not ExposureSession.objects.exists()
    assert services.end_exposure(analyst=client.user) == 0


def test_assessment_without_the_page_ends_open_sessions_too(case: Case, make_staff: Any) -> None:
    analyst = make_staff("analyst")
    services.claim_case(case=case, analyst=analyst)
    services.start_exposure(analyst=analyst, case=case)
    services.assess_case(
        case=case,
        analyst=analyst,
        data=AssessmentInput(verdict="unreachable", kind="online_material"),
        expected_version=case.version,
    )
    assert not ExposureSession.objects.filter(ended_at=None).exists()
