"""Contact police now (issue 13, point 8): a situation report of a child at risk in this country goes to the
police at once, through a short form and a confirmation page, recorded on the timeline and audited."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.cases import services as case_services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseEvent, CaseNote, NexusHint, ReportKind
from hotline.core.models import AuditEntry
from hotline.referrals.models import Referral, Target

pytestmark = pytest.mark.django_db


def _case(kind: str = ReportKind.TRAFFICKING, nexus: str = NexusHint.YES) -> Case:
    report = store_report(kind=kind, nexus_victim=nexus, description="An advert offering a child; a phone number.")
    return Case.objects.get(pk=case_services.triage_report(report_id=report.pk).case_ids[0])


def _post(client: Any, case: Case, **extra: str) -> Any:
    data = {"version": str(case.version), "verdict": "child_at_risk", "urgency": "now", "notes": "Seen today."}
    data.update(extra)
    return client.post(f"/cases/{case.pk}/police-now/", data)


def test_the_queue_box_and_the_case_page_offer_it(staff_client: Any) -> None:
    case = _case()
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    link = f'href="/cases/{case.pk}/police-now/"'
    assert link in client.get("/cases/").content.decode()
    assert link in client.get(f"/cases/{case.pk}/").content.decode()
    page = client.get(f"/cases/{case.pk}/police-now/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "An advert offering a child" in body  # the tipster's description beside the form
    assert 'name="media_types"' not in body and 'name="image_count"' not in body  # no media fields


@pytest.mark.parametrize("kind", [ReportKind.GROOMING, ReportKind.TRAVELLING_OFFENDER])
def test_grooming_and_travelling_offender_with_the_hint_offer_it(kind: str, staff_client: Any) -> None:
    case = _case(kind=kind)
    assert staff_client("analyst").get(f"/cases/{case.pk}/police-now/").status_code == 200


def test_not_offered_without_the_home_country_hint_or_for_material(staff_client: Any) -> None:
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    no_hint = _case(nexus=NexusHint.UNKNOWN)
    material = Case.objects.get(
        pk=case_services.triage_report(
            report_id=store_report("https://files.example.test/a/1", nexus_victim=NexusHint.YES).pk
        ).case_ids[0]
    )
    for case in (no_hint, material):
        assert f"/cases/{case.pk}/police-now/" not in client.get(f"/cases/{case.pk}/").content.decode()
        response = _post(client, case, confirmed="yes")
        assert response.status_code == 400
        assert "Use the assessment instead" in response.content.decode()
    assert not Referral.objects.exists()


def test_get_and_first_post_change_nothing_confirmed_post_sends(staff_client: Any) -> None:
    case = _case()
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    client.get(f"/cases/{case.pk}/police-now/")
    first = _post(client, case)
    assert first.status_code == 200
    body = first.content.decode()
    assert 'name="confirmed" value="yes"' in body and "Yes, send to the police now" in body
    assert "In danger now" in body
    assert not Referral.objects.exists() and not CaseNote.objects.exists()

    done = _post(client, case, confirmed="yes")
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.pk}/#timeline"
    referral = Referral.objects.get()
    assert referral.target == Target.POLICE and referral.case_id == case.pk and referral.rule == "police_now"
    assert referral.next_attempt_at is not None  # enqueued at once, no assessment needed
    assert not case.assessments.exists()
    event = CaseEvent.objects.get(case=case, kind="police_now")
    assert event.details["verdict"] == "child_at_risk" and event.details["urgency"] == "now"
    assert event.details["referrals"] == [referral.pk]
    entry = AuditEntry.objects.get(action="case.police_now")
    assert entry.actor == client.user and entry.object_id == str(case.pk)
    assert "Seen today." not in str(entry.details)  # the notes are in the encrypted note, not the audit
    assert AuditEntry.objects.filter(action="referral.planned", object_id=str(referral.pk)).exists()
    timeline = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Police contacted at once:" in timeline and "A child is at risk · In danger now" in timeline
    assert "Seen today." in timeline

    # A second time: refused while the police referral is open, nothing half-written.
    again = _post(client, Case.objects.get(pk=case.pk), confirmed="yes")
    assert again.status_code == 400
    assert "already has an open referral to the police" in again.content.decode()
    assert Referral.objects.count() == 1 and CaseNote.objects.count() == 1


def test_bad_input_is_a_400_with_the_form(staff_client: Any) -> None:
    case = _case()
    client = staff_client("analyst")
    response = _post(client, case, notes="", urgency="whenever", confirmed="yes")
    assert response.status_code == 400
    assert 'name="notes"' in response.content.decode()
    assert not Referral.objects.exists()


def test_a_stale_form_is_refused(staff_client: Any) -> None:
    case = _case()
    response = _post(staff_client("analyst"), case, version=str(case.version + 1), confirmed="yes")
    assert response.status_code == 409
    assert not Referral.objects.exists()


def test_only_case_roles(staff_client: Any) -> None:
    case = _case()
    assert staff_client("campaigner").get(f"/cases/{case.pk}/police-now/").status_code in {302, 403}


def test_the_referral_is_delivered_without_an_assessment(staff_client: Any) -> None:
    from hotline.referrals import services as referral_services
    from hotline.referrals.models import ReferralState

    case = _case()
    _post(staff_client("analyst"), case, confirmed="yes")
    referral = Referral.objects.get()
    # Police liaison downloads the package (the default channel): it is built with the situation, no assessment.
    assert referral_services.deliver(referral.pk) == "sent"
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT and referral.package_sha256


def test_an_unusable_police_channel_writes_nothing(staff_client: Any, settings: Any) -> None:
    settings.HOTLINE_POLICE_CHANNEL = "email"
    settings.HOTLINE_POLICE_EMAIL = ""
    case = _case()
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    response = _post(client, case, confirmed="yes")
    assert response.status_code == 400
    assert "no police address is configured" in response.content.decode()
    assert not Referral.objects.exists() and not CaseNote.objects.exists()
    assert not CaseEvent.objects.filter(kind="police_now").exists()
    assert not AuditEntry.objects.filter(action="case.police_now").exists()


@pytest.mark.parametrize(("language", "words"), [("en", "Contact police now"), ("sv", "Kontakta polisen nu")])
def test_the_case_page_lists_the_police_referral_made_at_once(staff_client: Any, language: str, words: str) -> None:
    case = _case()
    client = staff_client("analyst")
    client.cookies["hotline_language"] = language
    assert _post(client, case, confirmed="yes").status_code == 302
    # A real referral row, planned for the police and audited, not a note standing in for one.
    referral = Referral.objects.get(case=case)
    assert referral.target == Target.POLICE and referral.rule == "police_now" and referral.planned_at is not None
    planned = AuditEntry.objects.get(action="referral.planned", object_id=str(referral.pk))
    assert planned.actor == client.user
    page = client.get(f"/cases/{case.pk}/").content.decode()
    panel = page.split('id="referrals-heading"', 1)[1].split("</section>", 1)[0]
    row = panel.split(f'href="/referrals/{referral.pk}/"', 1)[1].split("</tr>", 1)[0]
    assert words in row  # marked as the urgent path in the case's referral list
    assert "No referrals yet." not in panel and "Inga överlämningar" not in panel
