"""A delivery state tells the truth (issue 19, point 4): only the recipient's act moves a referral to
`delivered`; staff downloads of a police package are audited copies that change no state, and nothing
staff do on our own side makes a notice to a host or a partner referral look delivered."""

from __future__ import annotations

import hashlib
from typing import Any

from hotline.cases.factories import make_assessed_case as make_case
from hotline.core.models import AuditEntry
from hotline.referrals import selectors
from hotline.referrals.factories import partner_hotline as partner
from hotline.referrals.models import Referral, ReferralState
from hotline.referrals.tests.conftest import TASKS_DB, confirm

pytestmark = TASKS_DB

ABUSE = "abuse@host.example"


def _police_ready(staff_client: Any, run_tasks: Any, path: str = "/x/9") -> Referral:
    case = make_case(host="files.example.test", path=path, country="SE", abuse_email=ABUSE)
    confirm(staff_client("analyst"), case)
    run_tasks()
    referral = Referral.objects.get(case=case, target="police")
    assert referral.state == ReferralState.SENT and referral.channel == "download"
    return referral


def test_a_staff_download_is_an_audited_copy_that_changes_no_state(staff_client: Any, run_tasks: Any) -> None:
    referral = _police_ready(staff_client, run_tasks)
    for role in ("analyst", "supervisor"):
        client = staff_client(role)
        response = client.post(f"/referrals/{referral.pk}/package/")
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == referral.package_sha256
        referral.refresh_from_db()
        assert referral.state == ReferralState.SENT and referral.delivered_at is None, role
        entry = AuditEntry.objects.filter(action="referral.package_downloaded").latest("pk")
        assert entry.actor == client.user
        assert entry.details["by_recipient"] is False and entry.details["from"] == entry.details["to"] == "sent"
    # The police still have it to collect.
    assert referral in selectors.awaiting_download()
    timeline = [e.details["action"] for e in referral.case.events.filter(kind="referral")]
    assert timeline.count("package_copied") == 2 and "package_collected" not in timeline

    liaison = staff_client("police_liaison")
    assert liaison.post(f"/referrals/{referral.pk}/package/").status_code == 200
    referral.refresh_from_db()
    assert referral.state == ReferralState.DELIVERED and referral.delivered_at is not None
    collected = AuditEntry.objects.filter(action="referral.package_downloaded").latest("pk")
    assert collected.actor == liaison.user and collected.details["by_recipient"] is True
    assert (collected.details["from"], collected.details["to"]) == ("sent", "delivered")
    assert referral not in selectors.awaiting_download()
    # A second collection changes nothing more.
    assert liaison.post(f"/referrals/{referral.pk}/package/").status_code == 200
    referral.refresh_from_db()
    assert referral.state == ReferralState.DELIVERED


def test_a_mailed_police_package_is_sent_not_delivered_until_the_police_collect_it(
    staff_client: Any, run_tasks: Any, smtp_server: Any, settings: Any
) -> None:
    settings.HOTLINE_POLICE_CHANNEL = "email"
    settings.HOTLINE_POLICE_EMAIL = "referrals@police.example"
    case = make_case(kind="trafficking", verdict="not_csam", with_url=False)
    confirm(staff_client("analyst"), case)
    run_tasks()
    referral = Referral.objects.get(case=case, target="police")
    assert len(smtp_server.messages) == 1
    assert referral.state == ReferralState.SENT and referral.delivered_at is None  # our mail server took it
    assert staff_client("analyst").post(f"/referrals/{referral.pk}/package/").status_code == 200
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT
    assert staff_client("police_liaison").post(f"/referrals/{referral.pk}/package/").status_code == 200
    referral.refresh_from_db()
    assert referral.state == ReferralState.DELIVERED


def test_notices_and_partner_referrals_are_only_sent_until_the_recipient_answers(
    staff_client: Any, run_tasks: Any, smtp_server: Any
) -> None:
    """Accepted by our mail server is `sent`; reading, retrying or reloading on our side moves nothing; the
    recipient's answer, recorded by staff with how it came, is what moves it on."""
    partner(language="en")
    notice_case = make_case(host="files.example.test", path="/album/8", country="BR", abuse_email=ABUSE)
    partner_case = make_case(host="share.example.test", country="NL", abuse_email=ABUSE)
    analyst = staff_client("analyst")
    confirm(analyst, notice_case)
    confirm(analyst, partner_case)
    run_tasks()
    notice = Referral.objects.get(case=notice_case, target="host_notice")
    partner_referral = Referral.objects.get(case=partner_case, target="partner_hotline")
    supervisor = staff_client("supervisor")
    for referral in (notice, partner_referral):
        referral.refresh_from_db()
        assert referral.state == ReferralState.SENT and referral.delivered_at is None
        for client in (analyst, supervisor):
            assert client.get(f"/referrals/{referral.pk}/").status_code == 200
            assert client.get(f"/cases/{referral.case_id}/referrals/").status_code == 200
            assert client.get(f"/cases/{referral.case_id}/").status_code == 200
        assert supervisor.get("/referrals/").status_code == 200
        assert supervisor.post(f"/referrals/{referral.pk}/package/").status_code == 400  # no package: refused
        assert supervisor.post(f"/referrals/{referral.pk}/retry/").status_code == 400  # not failed: refused
        before = referral.state_changed_at
        referral.refresh_from_db()
        assert referral.state == ReferralState.SENT and referral.delivered_at is None
        assert referral.state_changed_at == before
    assert analyst.post(f"/referrals/{notice.pk}/acknowledged/", {"evidence": "human_reply"}).status_code == 302
    notice.refresh_from_db()
    assert notice.state == ReferralState.ACKNOWLEDGED
    acknowledged = AuditEntry.objects.get(action="referral.acknowledged", object_id=str(notice.pk))
    assert acknowledged.actor == analyst.user and acknowledged.details["evidence"] == "human_reply"
