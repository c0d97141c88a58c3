"""The inbox (POST /network/v1/inbox) through Django's full request stack: a signed forward becomes a Report in
the queue, once; every refusal is its precise problem, with one audit entry and nothing else written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.utils import timezone

from hotline.cases.models import Channel, Report, ReportHash
from hotline.core.models import AuditEntry
from hotline.network.factories import as_client_headers, signed_delivery
from hotline.network.models import InboxMessage, OutboxMessage
from hotline.network.protocol import (
    HashValue,
    HostingFact,
    build_report_forward,
    decode_json,
    generate_private_key,
    key_id,
    validate_ack,
    validate_report_status,
    verify_response,
)
from hotline.network.protocol.keys import _b64url_decode, public_key_from_raw
from hotline.network.services import own_identity

pytestmark = pytest.mark.django_db
INBOX = "/network/v1/inbox"
BASE = "http://127.0.0.1:8000"


def forward(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sender": "NL-EXAMPLE",
        "recipient": "SE-ECPAT",
        "case_reference": "R-NLTEST0001",
        "first_reported_at": timezone.now() - timedelta(hours=2),
        "urls": ["https://files.example.test/album/8841"],
        "kind": "online_material",
        "classification": "csam_baseline",
        "site_type": "file_host",
        "hosting": [HostingFact(ip="203.0.113.45", country="SE", asn=64500)],
        "hashes": [HashValue(type="md5", value="0123456789abcdef0123456789abcdef")],
    }
    return build_report_forward(**(values | overrides))


def post(client: Any, headers: dict[str, str], body: bytes) -> Any:
    return client.generic("POST", INBOX, body, content_type="application/json", **as_client_headers(headers))


def rows() -> tuple[int, int, int, int]:
    return (
        Report.objects.count(),
        InboxMessage.objects.count(),
        OutboxMessage.objects.count(),
        ReportHash.objects.count(),
    )


def test_a_signed_forward_becomes_a_network_report_and_is_acknowledged_once(client: Any, se: Any, nl: Any) -> None:
    partner, key = nl
    headers, body = signed_delivery(forward(), key=key, receiver_base_url=BASE)

    answer = post(client, headers, body)

    assert answer.status_code == 200, answer.content
    ack = decode_json(answer.content)
    assert ack["type"] == "ack" and ack["data"]["duplicate"] is False
    # The ack is signed by our key and covers the request: the partner can verify it.
    from hotline.network import own_key

    own_public = own_key.private_key().public_key()
    verify_response(
        200,
        dict(answer.headers.items()),
        answer.content,
        request_method="POST",
        request_url=BASE + INBOX,
        request_headers=headers,
        resolve_key={key_id(own_public): own_public}.get,
        now=timezone.now(),
    )
    report = Report.objects.get()
    assert report.channel == Channel.NETWORK and report.source_name == "NL-EXAMPLE"
    assert report.contact == "" and report.description == "" and report.receipt_index == ""
    assert [h.kind for h in ReportHash.objects.filter(report=report)] == ["md5"]
    assert report.urls.get().url == "https://files.example.test/album/8841"
    # "received" goes back to the partner, committed with the report.
    status = OutboxMessage.objects.get()
    assert status.status == "received" and status.partner == partner
    # The inbox builds its ack and this status without re-validating them (the receiver validates what
    # arrives); here both must match their schemas, or a partner would refuse them.
    validate_ack(ack)
    validate_report_status(decode_json(status.body.encode()))
    partner.refresh_from_db()
    assert partner.last_contact_at is not None

    again = post(client, headers, body)  # a retry after a lost answer (same bytes, inside the window)
    assert again.status_code == 200
    assert decode_json(again.content)["data"]["duplicate"] is True
    assert Report.objects.count() == 1 and InboxMessage.objects.count() == 1 and OutboxMessage.objects.count() == 1


def refused(client: Any, headers: dict[str, str], body: bytes, status: int, code: str) -> dict[str, Any]:
    before_rows, before_audit = rows(), AuditEntry.objects.count()
    answer = post(client, headers, body)
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    problem = decode_json(answer.content)
    assert problem["type"].endswith(f"/network/v1/problems/{code}") and problem["status"] == status
    assert rows() == before_rows, "a refused message wrote more than its audit entry"
    entries = list(AuditEntry.objects.order_by("seq")[before_audit:])
    assert [(e.action, e.details["problem"]) for e in entries] == [("network.message_refused", code)]
    assert "files.example.test" not in str(entries[0].details)
    return problem


def test_forged_signature_is_refused(client: Any, se: Any, nl: Any) -> None:
    _partner, key = nl
    # Signed by another key under the id of the pinned one.
    headers, body = signed_delivery(forward(), key=generate_private_key(), receiver_base_url=BASE, sign_with_id_of=key)
    refused(client, headers, body, 401, "signature-invalid")


def test_a_key_that_is_not_pinned_is_refused(client: Any, se: Any, nl: Any) -> None:
    headers, body = signed_delivery(forward(), key=generate_private_key(), receiver_base_url=BASE)
    refused(client, headers, body, 401, "key-unknown")


def test_digest_mismatch_is_refused(client: Any, se: Any, nl: Any) -> None:
    _partner, key = nl
    headers, body = signed_delivery(forward(), key=key, receiver_base_url=BASE)
    tampered = body.replace(b"album/8841", b"album/8842")
    refused(client, headers, tampered, 400, "digest-mismatch")


@pytest.mark.parametrize(("shift", "code"), [(-301, "signature-too-old"), (301, "signature-in-future")])
def test_created_outside_the_window_is_refused(client: Any, se: Any, nl: Any, shift: int, code: str) -> None:
    _partner, key = nl
    when = timezone.now() + timedelta(seconds=shift)
    headers, body = signed_delivery(
        forward(created=when - timedelta(seconds=max(shift, 0))), key=key, receiver_base_url=BASE, created=when
    )
    refused(client, headers, body, 401, code)


def test_a_replay_outside_the_window_is_refused_even_after_it_was_applied(client: Any, se: Any, nl: Any) -> None:
    _partner, key = nl
    headers, body = signed_delivery(
        forward(), key=key, receiver_base_url=BASE, created=timezone.now() - timedelta(seconds=299)
    )
    assert post(client, headers, body).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=False):
        refused(client, headers, body, 401, "signature-too-old")


def test_the_same_id_with_another_body_is_refused(client: Any, se: Any, nl: Any) -> None:
    _partner, key = nl
    message_id = uuid4()
    headers, body = signed_delivery(forward(message_id=message_id), key=key, receiver_base_url=BASE)
    assert post(client, headers, body).status_code == 200
    headers, body = signed_delivery(
        forward(message_id=message_id, case_reference="R-OTHER"), key=key, receiver_base_url=BASE
    )
    refused(client, headers, body, 409, "message-id-conflict")


def test_unsigned_schema_and_address_refusals(client: Any, se: Any, nl: Any) -> None:
    partner, key = nl
    body = b'{"type":"report.forward"}'
    refused(client, {"Content-Type": "application/json"}, body, 401, "signature-missing")
    bad = forward()
    bad["data"]["classification"] = "something_else"
    headers, body = signed_delivery(bad, key=key, receiver_base_url=BASE)
    problem = refused(client, headers, body, 422, "schema-violation")
    assert any(e.startswith("/data/classification") for e in problem["errors"])
    headers, body = signed_delivery(forward(recipient="DE-EXAMPLE"), key=key, receiver_base_url=BASE)
    refused(client, headers, body, 421, "recipient-mismatch")
    headers, body = signed_delivery(forward(sender="BE-OTHER"), key=key, receiver_base_url=BASE)
    refused(client, headers, body, 403, "sender-mismatch")
    partner.active = False
    partner.save()
    headers, body = signed_delivery(forward(), key=key, receiver_base_url=BASE)
    refused(client, headers, body, 403, "partner-inactive")


def test_a_status_about_a_forward_we_never_sent_is_refused(client: Any, se: Any, nl: Any) -> None:
    from hotline.network.protocol import build_report_status

    _partner, key = nl
    status = build_report_status(
        sender="NL-EXAMPLE",
        recipient="SE-ECPAT",
        forward_id=uuid4(),
        forward_case_reference="R-X",
        status="received",
        status_at=timezone.now(),
    )
    headers, body = signed_delivery(status, key=key, receiver_base_url=BASE)
    refused(client, headers, body, 422, "forward-unknown")


def test_rate_limit_per_partner(client: Any, se: Any, nl: Any, settings: Any) -> None:
    settings.HOTLINE_NETWORK_REQUESTS_PER_MINUTE = 2
    _partner, key = nl
    for _ in range(2):
        headers, body = signed_delivery(forward(), key=key, receiver_base_url=BASE)
        assert post(client, headers, body).status_code == 200
    headers, body = signed_delivery(forward(), key=key, receiver_base_url=BASE)
    answer = post(client, headers, body)
    assert answer.status_code == 429 and answer["Retry-After"] == "60"


def test_plain_http_from_elsewhere_than_loopback_is_refused(client: Any, se: Any, nl: Any) -> None:
    _partner, key = nl
    headers, body = signed_delivery(forward(), key=key, receiver_base_url=BASE)
    answer = client.generic(
        "POST", INBOX, body, content_type="application/json", REMOTE_ADDR="198.51.100.7", **as_client_headers(headers)
    )
    assert answer.status_code == 403 and decode_json(answer.content)["type"].endswith("https-required")
    assert Report.objects.count() == 0


def test_identity_is_published_and_signed(client: Any, se: Any) -> None:
    answer = client.get("/network/v1/identity")
    assert answer.status_code == 200
    document = decode_json(answer.content)
    assert document["code"] == "SE-ECPAT" and document["countries"] == ["SE"]
    assert document["protocol_versions"] == [1] and document["contact"]["email"]
    (jwk,) = document["keys"]
    public = public_key_from_raw(_b64url_decode(jwk["x"]))
    verify_response(
        200,
        dict(answer.headers.items()),
        answer.content,
        request_method="GET",
        request_url=own_identity().base_url + "/network/v1/identity",
        request_headers={},
        resolve_key={jwk["kid"]: public}.get,
        now=timezone.now(),
    )
