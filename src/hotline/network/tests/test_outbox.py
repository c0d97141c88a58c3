"""A network referral: its report.forward is committed with the referral (one transaction), sent by the task to
a real partner inbox on loopback, retried with backoff while the partner is down, `failed` after the last
attempt (on the failed-deliveries page and the case), acknowledged once it comes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from hotline.cases.factories import make_assessed_case
from hotline.network import own_key
from hotline.network.factories import network_partner
from hotline.network.models import OutboxMessage, OutboxState
from hotline.network.protocol import validate_report_forward
from hotline.network.services import send_outbox_message
from hotline.network.tests.partner_server import PartnerInbox
from hotline.referrals.models import DeliveryChannel, Referral, ReferralState
from hotline.referrals.services import TargetChoice, confirm_referral_plan
from hotline.referrals.tests.conftest import TASKS_DB

pytestmark = TASKS_DB


@pytest.fixture
def partner_inbox(se: Any) -> Iterator[PartnerInbox]:
    inbox = PartnerInbox(code="NL-EXAMPLE", sender_key=own_key.private_key().public_key()).start()
    yield inbox
    inbox.stop()


def forward_case(make_staff: Any, inbox: PartnerInbox, *, share: bool = False) -> Referral:
    partner, _key = network_partner(code="NL-EXAMPLE", base_url=inbox.base_url, key=inbox.key)
    case = make_assessed_case(
        country="NL",
        description="The reporter's own neutral words.",
        contact="reporter@example.test",
        site_type="file_host",
    )
    analyst = make_staff("analyst")
    from hotline.referrals import selectors

    plan = selectors.case_plan(case=case)
    key = f"partner_hotline:{partner.pk}"
    assert key in {p.key for p in plan.plan.proposals}
    (referral,) = confirm_referral_plan(
        case_id=case.pk,
        actor=analyst,
        assessment_id=plan.assessment.pk,
        choices=[TargetChoice(key=key, share_description=share)],
        adjust_reason="" if set(plan.pending_keys) == {key} else "test: the partner only",
    )
    return referral


def test_forward_committed_with_the_referral_carries_no_reporter(make_staff: Any, partner_inbox: Any) -> None:
    referral = forward_case(make_staff, partner_inbox)
    assert referral.channel == DeliveryChannel.NETWORK and referral.recipient_email == ""
    message = OutboxMessage.objects.get(referral=referral)
    document = json.loads(message.body)
    validate_report_forward(document)  # the sender's own messages meet the schema
    assert document["recipient"] == "NL-EXAMPLE" and document["data"]["case_reference"] == referral.reference
    assert "reporter@example.test" not in message.body and "neutral words" not in message.body
    assert "shared_description" not in document["data"]

    assert send_outbox_message(message.pk) == "delivered"
    message.refresh_from_db()
    referral.refresh_from_db()
    assert message.state == OutboxState.DELIVERED and message.attempts == 1
    assert referral.state == ReferralState.ACKNOWLEDGED and referral.sent_at and referral.acknowledged_at
    assert list(partner_inbox.received) == [str(message.message_id)]
    assert send_outbox_message(message.pk) == "nothing"  # a second task finds nothing to do


def test_the_description_goes_only_when_the_analyst_shares_it(make_staff: Any, partner_inbox: Any) -> None:
    referral = forward_case(make_staff, partner_inbox, share=True)
    document = json.loads(OutboxMessage.objects.get(referral=referral).body)
    assert document["data"]["shared_description"] == "The reporter's own neutral words."
    assert "reporter@example.test" not in json.dumps(document)
    from hotline.core.models import AuditEntry

    planned = AuditEntry.objects.get(action="referral.planned", object_id=str(referral.pk))
    assert planned.details["share_description"] is True


def test_retries_backoff_then_failed_then_delivered_once(make_staff: Any, partner_inbox: Any, settings: Any) -> None:
    settings.HOTLINE_NETWORK_MAX_ATTEMPTS = 3
    referral = forward_case(make_staff, partner_inbox)
    message = OutboxMessage.objects.get(referral=referral)
    partner_inbox.fail_with = 503

    assert send_outbox_message(message.pk) == "retrying"
    message.refresh_from_db()
    referral.refresh_from_db()
    assert message.state == OutboxState.RETRYING and "HTTP 503" in message.last_error
    wait = message.next_attempt_at - timezone.now()
    assert 14 <= wait.total_seconds() <= 31  # 30 s, less up to half of it (jitter)
    assert referral.state == ReferralState.FAILED and referral.next_attempt_at == message.next_attempt_at
    assert send_outbox_message(message.pk) == "nothing"  # not due yet

    for expected in ("retrying", "failed"):
        with time_machine.travel(message.next_attempt_at, tick=False):
            assert send_outbox_message(message.pk) == expected
        message.refresh_from_db()
    referral.refresh_from_db()
    assert message.state == OutboxState.FAILED and message.attempts == 3 and message.next_attempt_at is None
    assert referral.state == ReferralState.FAILED and referral.attempts == 3 and referral.next_attempt_at is None
    assert partner_inbox.requests == 3 and not partner_inbox.received

    # Staff retry it (the failed-deliveries page's button); the partner is back.
    partner_inbox.fail_with = None
    from hotline.referrals.services import retry_delivery

    retry_delivery(referral_id=referral.pk, actor=make_staff("supervisor"))
    assert send_outbox_message(message.pk) == "delivered"
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACKNOWLEDGED and len(partner_inbox.received) == 1


def test_a_refusal_by_the_partner_fails_at_once_with_its_problem(make_staff: Any, partner_inbox: Any) -> None:
    referral = forward_case(make_staff, partner_inbox)
    message = OutboxMessage.objects.get(referral=referral)
    partner_inbox.fail_with = 422
    assert send_outbox_message(message.pk) == "failed"
    message.refresh_from_db()
    assert (
        message.state == OutboxState.FAILED and message.attempts == 1 and "down for maintenance" in message.last_error
    )


def test_no_partner_listening_is_retried(make_staff: Any, partner_inbox: Any) -> None:
    referral = forward_case(make_staff, partner_inbox)
    message = OutboxMessage.objects.get(referral=referral)
    partner_inbox.stop()
    assert send_outbox_message(message.pk) == "retrying"
    message.refresh_from_db()
    assert "could not be reached" in message.last_error


def test_partner_statuses_in_any_order_end_the_referral_and_show_on_the_case(
    make_staff: Any, partner_inbox: Any, staff_client: Any
) -> None:
    from datetime import timedelta

    from hotline.network.factories import as_client_headers, signed_delivery
    from hotline.network.models import InboxMessage
    from hotline.network.protocol import build_report_status
    from hotline.referrals.models import ReferralTiming, RemovalMethod

    referral = forward_case(make_staff, partner_inbox)
    message = OutboxMessage.objects.get(referral=referral)
    assert send_outbox_message(message.pk) == "delivered"
    now = timezone.now()
    client = staff_client("analyst")

    def deliver(status: str, at: Any, removed_at: Any = None) -> Any:
        document = build_report_status(
            sender="NL-EXAMPLE",
            recipient="SE-ECPAT",
            forward_id=message.message_id,
            forward_case_reference=referral.reference,
            status=status,
            status_at=at,
            removed_at=removed_at,
        )
        headers, body = signed_delivery(document, key=partner_inbox.key, receiver_base_url="http://127.0.0.1:8000")
        return client.generic(
            "POST", "/network/v1/inbox", body, content_type="application/json", **as_client_headers(headers)
        )

    # Removal arrives first, then an older "in assessment" that must not become the current status.
    assert deliver("content_removed", now - timedelta(minutes=1), now - timedelta(minutes=2)).status_code == 200
    assert deliver("in_assessment", now - timedelta(minutes=30)).status_code == 200
    referral.refresh_from_db()
    assert referral.state == ReferralState.CONTENT_REMOVED
    assert referral.removal_method == RemovalMethod.REPORTED_BY_PARTNER
    assert ReferralTiming.objects.get(case=referral.case).report_to_removal_seconds is not None
    late = InboxMessage.objects.get(status="in_assessment")
    assert late.applied is False

    page = client.get(f"/cases/{referral.case_id}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Vidarebefordrat till Hotline NL-EXAMPLE" in text or "Forwarded to Hotline NL-EXAMPLE" in text
    assert "innehållet borttaget" in text or "content removed" in text
