"""Delivery through a real SMTP server: the notice with its X-ARF attachment, failures and retries,
repeated notices and escalation, replies that are not acknowledgements, constraints."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
import xarf
from django.utils import timezone

from conftest import free_port
from hotline.cases.factories import make_assessed_case
from hotline.core.models import AuditEntry
from hotline.referrals.models import DeliveryAttempt, Referral, ReferralState
from hotline.referrals.tests.conftest import TASKS_DB, confirm
from hotline.staff.factories import known_staff_user

pytestmark = TASKS_DB

ABUSE = "abuse@host.example"


def attachments(message: Any) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename() is not None
    }


def subject(message: Any) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def body_text(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and part.get_filename() is None:
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def notice_for(case: Any) -> Referral:
    return Referral.objects.get(case=case, target="host_notice")


@pytest.fixture
def abroad_case(staff_client: Any) -> Any:
    """Illegal material hosted in BR (no partner): notice to host + police (download)."""
    case = make_assessed_case(host="files.example.test", path="/album/7", country="BR", abuse_email=ABUSE)
    assert confirm(staff_client("analyst"), case).status_code == 302
    return case


def test_notice_reaches_a_real_smtp_server_with_a_valid_xarf_attachment(
    abroad_case: Any, smtp_server: Any, run_tasks: Any
) -> None:
    run_tasks()
    notices = [m for m in smtp_server.messages if m["To"] == ABUSE]
    assert len(notices) == 1
    message = notices[0]
    referral = notice_for(abroad_case)
    assert referral.reference in subject(message) and message["X-Hotline-Reference"] == referral.reference
    body = body_text(message)
    assert "https://files.example.test/album/7" in body
    assert "INTERPOL" in body  # the kind of material
    assert "2022/2065" in body  # legal basis (default text)
    # Never victim or reporter data, never media.
    for secret in ("prepubescent", "female", "reporter@example.test", "neutral test description"):
        assert secret not in body.lower()
    files = attachments(message)
    assert list(files) == [f"xarf-{referral.reference}.json"]
    assert not any(part.get_content_maintype() in {"image", "video"} for part in message.walk())
    report = json.loads(files[f"xarf-{referral.reference}.json"])
    assert xarf.schema_validator.validate(report) == []
    parsed = xarf.parse(report)
    assert not parsed.errors
    assert (report["category"], report["type"]) == ("content", "csam")
    assert report["classification"] == "baseline" and report["url"] == "https://files.example.test/album/7"
    assert report["source_identifier"] == "192.0.2.10" and report["domain"] == "files.example.test"
    assert "victim_age_range" not in report
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT and referral.notice_count == 1
    assert referral.xarf_report_id == report["report_id"]
    assert referral.next_attempt_at is not None
    assert abs((referral.next_attempt_at - referral.sent_at) - timedelta(hours=24)) < timedelta(seconds=1)
    attempt = DeliveryAttempt.objects.get(referral=referral)
    assert attempt.ok and attempt.message_id == message["Message-ID"]
    assert AuditEntry.objects.filter(action="referral.sent", object_id=str(referral.pk)).exists()


def test_grooming_notice_is_content_csem_in_swedish_for_a_swedish_host(
    staff_client: Any, smtp_server: Any, run_tasks: Any, settings: Any
) -> None:
    settings.HOTLINE_REFERRAL_POLICY = "notice_at_once"
    case = make_assessed_case(
        host="chat.example.test", kind="grooming", verdict="not_csam", country="SE", abuse_email=ABUSE,
        site_type="social_network", media_types=["text"],
    )  # fmt: skip
    client = staff_client("analyst")
    # Grooming proposes police only; the analyst adds the notice to the platform.
    assert confirm(client, case, add_target="host_notice", reason="The profile should go.").status_code == 302
    run_tasks()
    (message,) = [m for m in smtp_server.messages if m["To"] == ABUSE]
    assert subject(message).startswith("Underrättelse")
    report = json.loads(next(iter(attachments(message).values())))
    assert (report["type"], report["exploitation_type"], report["platform"]) == ("csem", "grooming", "social_media")
    assert xarf.schema_validator.validate(report) == []


def test_smtp_refusal_fails_visibly_and_is_retried_with_backoff(
    abroad_case: Any, smtp_server: Any, run_tasks: Any, staff_client: Any
) -> None:
    smtp_server.fail_with = "451 4.3.0 Mailbox temporarily unavailable"
    start = timezone.now()
    run_tasks()
    referral = notice_for(abroad_case)
    assert referral.state == ReferralState.FAILED
    assert referral.last_error.startswith("451") and referral.failed_at is not None
    assert not referral.looks_sent and referral.sent_at is None
    assert timedelta(minutes=4) < referral.next_attempt_at - start < timedelta(minutes=6)
    (attempt,) = DeliveryAttempt.objects.filter(referral=referral)
    assert not attempt.ok and attempt.smtp_code == 451
    failed = AuditEntry.objects.get(action="referral.delivery_failed", object_id=str(referral.pk))
    assert failed.details["smtp_code"] == 451 and "@" not in str(failed.details)
    page = staff_client("supervisor").get("/referrals/failed/").content.decode()
    assert referral.reference in page and "451" in page
    assert referral.reference in staff_client("analyst").get(f"/cases/{abroad_case.pk}/referrals/").content.decode()

    # Nothing happens before the retry is due; after it, the notice goes out.
    run_tasks()
    assert DeliveryAttempt.objects.filter(referral=referral).count() == 1
    smtp_server.fail_with = None
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        run_tasks()
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT and referral.last_error == "" and referral.notice_count == 1
    assert [a.ok for a in referral.delivery_attempts.all()] == [False, True]
    assert len([m for m in smtp_server.messages if m["To"] == ABUSE]) == 1
    assert referral.reference not in staff_client("supervisor").get("/referrals/failed/").content.decode()


def test_smtp_down_fails_and_gives_up_after_the_limit(
    abroad_case: Any, run_tasks: Any, settings: Any, staff_client: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here
    start = timezone.now()
    run_tasks()
    referral = notice_for(abroad_case)
    assert referral.state == ReferralState.FAILED and "Connection" in referral.last_error
    delays = []
    for _ in range(3):  # HOTLINE_DELIVERY_MAX_FAILURES = 4 in these tests
        delays.append(referral.next_attempt_at - referral.failed_at)
        with time_machine.travel(referral.next_attempt_at + timedelta(seconds=1), tick=False):
            run_tasks()
        referral.refresh_from_db()
    assert [round(d.total_seconds()) for d in delays] == [300, 600, 1200]
    assert referral.failures == 4 and referral.next_attempt_at is None  # gave up: retry by hand
    assert referral.state == ReferralState.FAILED
    assert AuditEntry.objects.filter(action="referral.delivery_failed", details__gave_up=True).count() == 1
    client = staff_client("supervisor")
    assert referral.reference in client.get("/referrals/failed/").content.decode()
    # A supervisor fixes the mail server and retries by hand.
    assert start < timezone.now()


def test_manual_retry_with_a_corrected_address(
    abroad_case: Any, smtp_server: Any, run_tasks: Any, staff_client: Any
) -> None:
    smtp_server.fail_with = "550 5.1.1 No such mailbox"
    run_tasks()
    referral = notice_for(abroad_case)
    assert referral.state == ReferralState.FAILED
    smtp_server.fail_with = None
    client = staff_client("supervisor")
    response = client.post(
        f"/referrals/{referral.pk}/retry/", {"recipient_email": "abuse-desk@host.example", "next": "/referrals/failed/"}
    )
    assert response.status_code == 302 and response["Location"] == "/referrals/failed/"
    run_tasks()
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT and referral.recipient_email == "abuse-desk@host.example"
    assert [m["To"] for m in smtp_server.messages if m["To"].startswith("abuse")] == ["abuse-desk@host.example"]
    # Retrying something that did not fail is refused with a clear 4xx.
    assert client.post(f"/referrals/{referral.pk}/retry/", {}).status_code == 400


def test_notices_repeat_every_interval_and_escalate_to_supervisors(
    abroad_case: Any, smtp_server: Any, run_tasks: Any, staff_client: Any
) -> None:
    supervisor = known_staff_user("supervisor", email="sup-escalation@hotline.example")
    run_tasks()
    referral = notice_for(abroad_case)
    first = referral.sent_at
    subjects = []
    for n in range(1, 4):
        with time_machine.travel(first + timedelta(hours=24 * n, minutes=1), tick=False):
            run_tasks()
        referral.refresh_from_db()
        subjects.append([subject(m) for m in smtp_server.messages if m["To"] == ABUSE][-1])
    assert referral.notice_count == 4
    notices = [m for m in smtp_server.messages if m["To"] == ABUSE]
    assert len(notices) == 4
    assert len({m["Message-ID"] for m in notices}) == 4
    # Escalated when the fourth notice was due after three without removal; supervisors are emailed once.
    assert referral.escalated_at is not None
    assert abs(referral.escalated_at - (first + timedelta(hours=72, minutes=1))) < timedelta(seconds=1)
    escalations = [m for m in smtp_server.messages if m["To"] == supervisor.email]
    assert len(escalations) == 1 and str(abroad_case.pk) in body_text(escalations[0])
    assert "files.example.test" not in body_text(escalations[0])  # no reported URL in staff mail
    page = staff_client("supervisor").get("/referrals/escalated/").content.decode()
    assert referral.reference in page
    # Reminders are numbered; the X-ARF stays valid on each.
    assert subjects[0].startswith("Reminder 1") and subjects[2].startswith("Reminder 3")
    assert all(xarf.schema_validator.validate(json.loads(next(iter(attachments(m).values())))) == [] for m in notices)


def test_a_duplicate_task_does_not_send_twice(abroad_case: Any, smtp_server: Any, run_tasks: Any) -> None:
    from hotline.referrals.tasks import deliver_referral

    referral = notice_for(abroad_case)
    deliver_referral.enqueue(referral.pk)
    deliver_referral.enqueue(referral.pk)
    run_tasks()
    assert len([m for m in smtp_server.messages if m["To"] == ABUSE]) == 1
    assert DeliveryAttempt.objects.filter(referral=referral).count() == 1


def test_bounce_and_auto_reply_are_not_acknowledgements(
    abroad_case: Any, smtp_server: Any, run_tasks: Any, staff_client: Any
) -> None:
    run_tasks()
    referral = notice_for(abroad_case)
    client = staff_client("analyst")
    assert client.post(f"/referrals/{referral.pk}/reply/", {"kind": "auto_reply"}).status_code == 302
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT and referral.acknowledged_at is None
    # Acknowledging needs a kind of answer from a person; junk is refused.
    assert client.post(f"/referrals/{referral.pk}/acknowledged/", {"evidence": "auto_reply"}).status_code == 400
    assert client.post(f"/referrals/{referral.pk}/reply/", {"kind": "bounce"}).status_code == 302
    referral.refresh_from_db()
    assert (referral.state == ReferralState.FAILED and "bounced" in referral.last_error.lower()) or "studsade" in (
        referral.last_error.lower()
    )
    assert referral.next_attempt_at is None and referral.acknowledged_at is None
    assert client.post(f"/referrals/{referral.pk}/acknowledged/", {"evidence": "human_reply"}).status_code == 400


def test_staff_marks_delivered_and_acknowledged(
    abroad_case: Any, smtp_server: Any, run_tasks: Any, staff_client: Any
) -> None:
    run_tasks()
    referral = notice_for(abroad_case)
    client = staff_client("analyst")
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200
    assert client.post(f"/referrals/{referral.pk}/delivered/").status_code == 302
    assert client.post(f"/referrals/{referral.pk}/acknowledged/", {"evidence": "human_reply"}).status_code == 302
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACKNOWLEDGED
    assert referral.delivered_at and referral.acknowledged_at and referral.ack_evidence == "human_reply"
    # Notices still repeat until removal; a later failure makes it failed, a success restores "acknowledged".
    smtp_server.fail_with = "451 later"
    with time_machine.travel(referral.sent_at + timedelta(hours=24, minutes=1), tick=False):
        run_tasks()
    referral.refresh_from_db()
    assert referral.state == ReferralState.FAILED
    smtp_server.fail_with = None
    with time_machine.travel(referral.next_attempt_at + timedelta(seconds=1), tick=False):
        run_tasks()
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACKNOWLEDGED and referral.notice_count == 2


def test_police_clearance_releases_the_held_notice(staff_client: Any, smtp_server: Any, run_tasks: Any) -> None:
    case = make_assessed_case(country="SE", abuse_email=ABUSE)
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    notice = notice_for(case)
    assert notice.state == ReferralState.PLANNED and not smtp_server.messages
    assert client.post(f"/referrals/{notice.pk}/release/").status_code == 302
    run_tasks()
    notice.refresh_from_db()
    assert notice.state == ReferralState.SENT and notice.cleared_at is not None
    assert client.post(f"/referrals/{notice.pk}/release/").status_code == 400


def test_partner_referral_is_an_email_to_the_partner_with_the_xarf_report(
    staff_client: Any, smtp_server: Any, run_tasks: Any
) -> None:
    from hotline.referrals.factories import partner_hotline

    partner_hotline(language="en")
    case = make_assessed_case(host="share.example.test", country="NL", abuse_email=ABUSE)
    confirm(staff_client("analyst"), case)
    run_tasks()
    (message,) = smtp_server.messages
    assert message["To"] == "hotline-nl@partners.example"
    body = body_text(message)
    assert "Demo hotline NL" in body and "https://share.example.test/album/1" in body and ABUSE in body
    assert "prepubescent" not in body and "female" not in body
    report = json.loads(next(iter(attachments(message).values())))
    assert xarf.schema_validator.validate(report) == []
    referral = Referral.objects.get(case=case)
    assert referral.state == ReferralState.SENT and referral.next_attempt_at is None  # partners get no reminders


def test_a_message_that_cannot_be_built_fails_visibly(
    abroad_case: Any, smtp_server: Any, run_tasks: Any, caplog: Any
) -> None:
    from hotline.cases.models import Case

    Case.objects.filter(pk=abroad_case.pk).update(canonical_url="")  # broken data: the URL is gone
    run_tasks()
    referral = notice_for(abroad_case)
    assert referral.state == ReferralState.FAILED and "XarfError" in referral.last_error
    assert not [m for m in smtp_server.messages if m["To"] == ABUSE]
    assert "files.example.test" not in caplog.text
