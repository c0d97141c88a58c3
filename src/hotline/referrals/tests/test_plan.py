"""The plan page: the proposed plan with reasons, adjusting with a reason, confirming (one transaction)."""

from __future__ import annotations

from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import CaseEvent, CaseState
from hotline.core.models import AuditEntry
from hotline.referrals.factories import partner_hotline
from hotline.referrals.models import Referral, ReferralState
from hotline.referrals.tests.conftest import confirm

pytestmark = pytest.mark.django_db


def delivery_tasks() -> list[DBTaskResult]:
    return [t for t in DBTaskResult.objects.all() if t.task_path.endswith("deliver_referral")]


def test_plan_page_shows_proposals_with_reasons_and_is_audited(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    response = client.get(f"/cases/{case.pk}/referrals/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "abuse@host.example" in text and "BR" in text
    assert "no partner hotline" in text.lower() or "partner-hotline" in text.lower()
    assert case.canonical_url not in text  # the plan never shows the reported URL
    assert AuditEntry.objects.filter(action="referral.plan_viewed", object_id=str(case.pk)).exists()


def test_confirm_default_plan_creates_planned_referrals_tasks_and_moves_the_case(staff_client: Any) -> None:
    case = make_assessed_case(country="SE", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    response = confirm(client, case)
    assert response.status_code == 302
    referrals = {r.target: r for r in Referral.objects.filter(case=case)}
    assert set(referrals) == {"police", "host_notice"}
    assert all(r.state == ReferralState.PLANNED for r in referrals.values())
    # At home the notice waits for police clearance; only the police referral is queued.
    assert referrals["host_notice"].awaiting_clearance and referrals["host_notice"].next_attempt_at is None
    assert referrals["host_notice"].language == "sv"
    assert [t.args_kwargs["args"] for t in delivery_tasks()] == [[referrals["police"].pk]]
    case.refresh_from_db()
    assert case.state == CaseState.REFERRED
    assert CaseEvent.objects.filter(case=case, kind="referral", details__action="planned").exists()
    confirmed = AuditEntry.objects.get(action="referral.plan_confirmed")
    assert confirmed.details["adjusted"] is False and confirmed.details["chosen"] == ["host_notice", "police"]
    assert AuditEntry.objects.filter(action="referral.planned").count() == 2
    assert AuditEntry.objects.filter(action="case.transition", details__to="referred").exists()
    # Audit details never carry addresses.
    for entry in AuditEntry.objects.filter(action__startswith="referral."):
        assert "@" not in str(entry.details)


def test_notice_at_once_policy_queues_the_notice_too(staff_client: Any, settings: Any) -> None:
    settings.HOTLINE_REFERRAL_POLICY = "notice_at_once"
    case = make_assessed_case(country="SE", abuse_email="abuse@host.example")
    confirm(staff_client("analyst"), case)
    notice = Referral.objects.get(case=case, target="host_notice")
    assert not notice.awaiting_clearance and notice.next_attempt_at is not None
    assert len(delivery_tasks()) == 2


def test_partner_country_goes_to_the_partner(staff_client: Any) -> None:
    nl = partner_hotline()
    case = make_assessed_case(country="NL", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    assert "Demo hotline NL" in client.get(f"/cases/{case.pk}/referrals/").content.decode()
    assert confirm(client, case).status_code == 302
    (referral,) = Referral.objects.filter(case=case)
    assert referral.target == "partner_hotline" and referral.partner == nl
    assert referral.recipient_email == "hotline-nl@partners.example"


def test_changing_the_plan_needs_a_reason_and_writes_nothing_without(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    response = confirm(client, case, targets=["police"])
    assert response.status_code == 400
    assert "say why" in response.content.decode().lower() or "varför" in response.content.decode().lower()
    assert not Referral.objects.exists() and not delivery_tasks()
    case.refresh_from_db()
    assert case.state == CaseState.ASSESSED

    response = confirm(client, case, targets=["police"], reason="The host is known to be run by offenders.")
    assert response.status_code == 302
    (referral,) = Referral.objects.filter(case=case)
    assert referral.adjusted and referral.adjust_reason == "The host is known to be run by offenders."
    assert AuditEntry.objects.get(action="referral.plan_confirmed").details["adjusted"] is True


def test_no_abuse_contact_warns_and_a_registrar_address_can_be_added(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="")
    client = staff_client("analyst")
    page = client.get(f"/cases/{case.pk}/referrals/").content.decode()
    assert "registrar" in page.lower() or "registrator" in page.lower()
    # Adding a notice without any address is refused with a message.
    response = confirm(client, case, add_target="host_notice", host_notice_recipient="", reason="Registrar")
    assert response.status_code == 400 and not Referral.objects.exists()
    response = confirm(
        client, case, add_target="host_notice", host_notice_recipient="abuse@registrar.example", reason="Registrar"
    )
    assert response.status_code == 302
    notice = Referral.objects.get(case=case, target="host_notice")
    assert notice.recipient_email == "abuse@registrar.example" and notice.adjusted


def test_stale_assessment_is_refused_with_409(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    response = client.post(
        f"/cases/{case.pk}/referrals/",
        {"assessment_id": 999999, "targets": ["police", "host_notice"], "host_notice_recipient": "abuse@host.example"},
    )
    assert response.status_code == 409
    assert not Referral.objects.exists()


def test_unassessed_case_cannot_be_referred(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example", verdict="", state=CaseState.TRIAGED)
    client = staff_client("analyst")
    page = client.get(f"/cases/{case.pk}/referrals/")
    assert (page.status_code == 200 and "assessment" in page.content.decode().lower()) or "bedömning" in (
        page.content.decode().lower()
    )
    response = client.post(f"/cases/{case.pk}/referrals/", {"assessment_id": 1, "targets": ["police"]})
    assert response.status_code in (400, 409)
    assert not Referral.objects.exists()


def test_awaiting_review_assessment_gives_no_plan(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example", status="awaiting_review")
    client = staff_client("analyst")
    response = client.post(f"/cases/{case.pk}/referrals/", {"assessment_id": 1, "targets": ["police"]})
    assert response.status_code in (400, 409) and not Referral.objects.exists()


def test_garbage_input_gets_400_not_500(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    for data in (
        {"assessment_id": "x"},
        {"assessment_id": 1, "targets": ["fax"]},
        {"assessment_id": 1, "add_target": "partner_hotline:999"},
        {"assessment_id": 1, "targets": ["police"], "host_notice_recipient": "not-an-address"},
    ):
        assert client.post(f"/cases/{case.pk}/referrals/", data).status_code == 400, data
    assert client.get("/cases/999999/referrals/").status_code == 404
    assert not Referral.objects.exists()


def test_a_target_cannot_be_referred_twice_while_open(staff_client: Any) -> None:
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    assert confirm(client, case).status_code == 302
    # The page now offers nothing already open; forcing it is refused.
    response = confirm(client, case, targets=["police"], reason="again")
    assert response.status_code == 400
    assert Referral.objects.filter(case=case, target="police").count() == 1


def test_referral_can_be_added_later_on_a_referred_case(staff_client: Any) -> None:
    nl = partner_hotline()
    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    response = confirm(client, case, targets=[], add_target=f"partner_hotline:{nl.pk}", reason="Mirror seen in NL")
    assert response.status_code == 302
    assert Referral.objects.filter(case=case).count() == 3
    case.refresh_from_db()
    assert case.state == CaseState.REFERRED


def test_case_page_fragment_lists_referrals(staff_client: Any) -> None:
    from django.template.loader import render_to_string

    from hotline.referrals.selectors import referrals_for_case

    case = make_assessed_case(country="BR", abuse_email="abuse@host.example")
    confirm(staff_client("analyst"), case)
    html = render_to_string(
        "referrals/_case_referrals.html", {"case": case, "referrals": referrals_for_case(case=case)}
    )
    assert f"/cases/{case.pk}/referrals/" in html
    assert html.count("/referrals/") >= 3
