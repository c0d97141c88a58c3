"""Removal: referrals closed, case to monitoring then closed as removed, times recorded for statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import CaseState
from hotline.core.models import AuditEntry
from hotline.referrals import selectors
from hotline.referrals.factories import partner_hotline
from hotline.referrals.models import Referral, ReferralState, ReferralTiming
from hotline.referrals.tests.conftest import TASKS_DB, confirm

pytestmark = TASKS_DB


def test_removal_closes_referrals_records_times_and_closes_the_case_after_monitoring(
    staff_client: Any, smtp_server: Any, run_tasks: Any
) -> None:
    reported = timezone.now() - timedelta(days=2)
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example", received_at=reported)
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    notice = Referral.objects.get(case=case, target="host_notice")
    first_notice = notice.sent_at
    removed = first_notice + timedelta(hours=30)
    with time_machine.travel(removed, tick=False):
        run_tasks()  # one repeated notice went out at +24 h
        client = staff_client("analyst")  # a fresh sign-in (the idle timeout ended the old session)
        response = client.post(
            f"/cases/{case.pk}/referrals/removed/", {"method": "reported_by_host", "confirmed": "yes"}
        )
        assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == ReferralState.CONTENT_REMOVED and notice.content_removed_at == removed
    assert notice.removal_method == "reported_by_host" and notice.next_attempt_at is None
    police = Referral.objects.get(case=case, target="police")
    assert police.state == ReferralState.CONTENT_REMOVED
    case.refresh_from_db()
    assert case.state == CaseState.MONITORING

    timing = ReferralTiming.objects.get(case=case)
    assert timing.first_report_at == reported
    assert timing.first_notice_at == first_notice and timing.first_notice_target == "host_notice"
    assert timing.notice_to_removal_seconds == 30 * 3600
    assert timing.report_to_removal_seconds == int((removed - reported).total_seconds())
    assert timing.report_to_police_seconds == int((police.sent_at - reported).total_seconds())
    audit = AuditEntry.objects.get(action="referral.content_removed")
    assert audit.details["notice_to_removal_seconds"] == 30 * 3600

    # No more notices after removal.
    sent = len(smtp_server.messages)
    with time_machine.travel(removed + timedelta(hours=25), tick=False):
        run_tasks()
    assert len(smtp_server.messages) == sent
    case.refresh_from_db()
    assert case.state == CaseState.MONITORING  # monitoring lasts 48 h in these tests
    with time_machine.travel(removed + timedelta(hours=48, minutes=1), tick=False):
        run_tasks()
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.close_reason == "removed"

    rows = selectors.removal_times(removed_only=True)
    assert [r.case_id for r in rows] == [case.pk] and rows[0].notice_to_removal_seconds == 30 * 3600
    summary = selectors.removal_time_summary()
    assert summary["notice_to_removal"].count == 1 and summary["notice_to_removal"].median_seconds == 30 * 3600


def test_monitoring_period_zero_closes_at_once(staff_client: Any, run_tasks: Any, settings: Any) -> None:
    settings.HOTLINE_MONITORING_HOURS = 0
    partner_hotline()
    case = make_assessed_case(country="NL", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    assert (
        client.post(
            f"/cases/{case.pk}/referrals/removed/", {"method": "reported_by_partner", "confirmed": "yes"}
        ).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.close_reason == "removed"
    timing = ReferralTiming.objects.get(case=case)
    assert timing.first_notice_target == "partner_hotline" and timing.removal_method == "reported_by_partner"


def test_the_periodic_sweep_closes_monitored_cases(staff_client: Any, run_tasks: Any) -> None:
    from hotline.referrals.tasks import close_monitored_cases

    partner_hotline()
    case = make_assessed_case(country="NL", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    client.post(f"/cases/{case.pk}/referrals/removed/", {"method": "dns_gone", "confirmed": "yes"})
    assert close_monitored_cases.call() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        assert close_monitored_cases.call() == 1
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


def test_not_removed_stops_the_notices(staff_client: Any, smtp_server: Any, run_tasks: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    notice = Referral.objects.get(case=case, target="host_notice")
    assert client.post(f"/referrals/{notice.pk}/not-removed/", {"reason": "", "confirmed": "yes"}).status_code == 400
    assert (
        client.post(f"/referrals/{notice.pk}/not-removed/", {"reason": "Host refuses.", "confirmed": "yes"}).status_code
        == 302
    )
    notice.refresh_from_db()
    assert notice.state == ReferralState.NOT_REMOVED and notice.not_removed_reason == "Host refuses."
    sent = len(smtp_server.messages)
    with time_machine.travel(notice.sent_at + timedelta(hours=25), tick=False):
        run_tasks()
    assert len(smtp_server.messages) == sent
    assert (
        client.post(f"/referrals/{notice.pk}/not-removed/", {"reason": "again", "confirmed": "yes"}).status_code == 400
    )


def test_removal_without_open_referrals_or_with_a_bad_method_is_refused(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    response = client.post(f"/cases/{case.pk}/referrals/removed/", {"method": "reported_by_host", "confirmed": "yes"})
    assert response.status_code == 400
    confirm(client, case)
    response = client.post(f"/cases/{case.pk}/referrals/removed/", {"method": "guessed", "confirmed": "yes"})
    assert response.status_code == 302  # back to the page with a message; nothing changed
    assert not Referral.objects.filter(state=ReferralState.CONTENT_REMOVED).exists()
    assert (
        client.post("/cases/999999/referrals/removed/", {"method": "dns_gone", "confirmed": "yes"}).status_code == 404
    )


def test_removal_times_filters() -> None:
    from hotline.referrals.selectors import summarise_seconds

    assert summarise_seconds([]).count == 0
    summary = summarise_seconds([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    assert summary.median_seconds == 55 and summary.p90_seconds == 90
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    ReferralTiming.objects.create(case=case, hosting_country="BR", first_report_at=timezone.now())
    assert len(selectors.removal_times(country="br")) == 1
    assert selectors.removal_times(country="NL") == []
    assert selectors.removal_times(since=timezone.now() + timedelta(days=1)) == []
    assert selectors.removal_times(removed_only=True) == []


def test_marking_removed_and_not_removed_ask_once_more(staff_client: Any, smtp_server: Any, run_tasks: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    notice = Referral.objects.get(case=case, target="host_notice")
    ask = client.post(f"/cases/{case.pk}/referrals/removed/", {"method": "dns_gone"})
    assert ask.status_code == 200 and 'name="confirmed" value="yes"' in ask.content.decode()
    assert 'name="method" value="dns_gone"' in ask.content.decode()
    ask = client.post(f"/referrals/{notice.pk}/not-removed/", {"reason": "Host refuses."})
    assert ask.status_code == 200 and 'class="button-danger"' in ask.content.decode()
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.state not in {ReferralState.CONTENT_REMOVED, ReferralState.NOT_REMOVED}
    assert case.state == CaseState.REFERRED
