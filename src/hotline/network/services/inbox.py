"""The inbox: one POST /network/v1/inbox, verified in the protocol's order (size, signature, digest, media type,
JSON, version, type, schema, sender, recipient), then applied exactly once per (sender, message id) in one
transaction with its idempotency row, and answered with a signed ack. Every refusal is a precise RFC 9457
problem with one audit entry, and nothing else is written (the request's body is never logged)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.cases.models import ILLEGAL_VERDICTS
from hotline.cases.rules import HashInput
from hotline.core import audit
from hotline.core.errors import DomainError
from hotline.core.ratelimit import count_event, current_window, subject_key
from hotline.intake import services as intake_services
from hotline.network import conf, own_key
from hotline.network.models import InboxMessage, MessageKind, OutboxMessage, PinnedKey
from hotline.network.protocol import (
    INBOX_PATH,
    MAX_BODY_BYTES,
    MEDIA_TYPE,
    BodyTooLarge,
    InboxDecision,
    Message,
    MessageError,
    ProtocolError,
    ReportForward,
    ReportStatus,
    StatusPoint,
    UnknownMessageType,
    body_sha256,
    build_ack,
    check_media_type,
    check_recipient,
    check_sender,
    current_status,
    decide_delivery,
    decode_message,
    encode_message,
    endpoint_url,
    key_id,
    sign_response,
    supersedes,
    verify_request,
)
from hotline.network.protocol.keys import _b64url_decode, public_key_from_raw
from hotline.network.services.identity import own_identity
from hotline.network.services.outbox import queue_status
from hotline.referrals import services as referral_services
from hotline.referrals.models import PartnerChannel, PartnerHotline, RemovalMethod

logger = logging.getLogger("hotline.network")

_HASH_KINDS = frozenset({"sha256", "sha1", "md5", "pdq"})  # what cases.ReportHash keeps


class PartnerInactive(ProtocolError):
    code = "partner-inactive"
    status = 403
    title = "The partner is not active at this hotline"


class RateLimitExceeded(ProtocolError):
    code = "rate-limited"
    status = 429
    title = "Too many requests from this partner"


class UnknownForward(MessageError):
    code = "forward-unknown"
    status = 422
    title = "The status is about a forward this hotline did not send to you"


class ReportNotAccepted(MessageError):
    code = "report-rejected"
    status = 422
    title = "The forwarded report cannot be stored"


class NotSetUp(ProtocolError):
    code = "not-set-up"
    status = 503
    title = "This hotline is not set up for the network"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: Mapping[str, str]


@dataclass
class _Signer:
    """Resolves a keyid to a live pinned key and remembers whose it is (for the audit entry of a refusal)."""

    partner: PartnerHotline | None = None

    def __call__(self, kid: str) -> Ed25519PublicKey | None:
        pinned = PinnedKey.objects.select_related("partner").filter(key_id=kid, retired_at__isnull=True).first()
        if pinned is None:
            return None
        self.partner = pinned.partner
        if not pinned.partner.active or pinned.partner.channel != PartnerChannel.NETWORK:
            raise PartnerInactive("The key belongs to a partner that is not active on the hotline network here.")
        return public_key_from_raw(_b64url_decode(pinned.public_key))


def receive(
    *, headers: Mapping[str, str], body: bytes, path: str = INBOX_PATH, refuse: ProtocolError | None = None
) -> Answer:
    """Verify, apply once and acknowledge one delivery; or refuse it (audited, nothing else written).
    `refuse`: the view already knows the refusal (plain HTTP where it is not allowed, a body too large)."""
    signer = _Signer()
    try:
        identity = own_identity()
    except DomainError:
        return _refusal(NotSetUp("Run manage.py network_init on this hotline."), None, headers=headers, path=path)
    url = endpoint_url(identity.base_url, path)
    if refuse is not None:
        return _refusal(refuse, None, headers=headers, path=path, url=url)
    try:
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
        verify_request("POST", url, headers, body, signer, timezone.now(), conf.replay_window())
        assert signer.partner is not None
        partner = signer.partner
        check_media_type(_header(headers, "content-type"))
        message = decode_message(body)
        check_sender(message.envelope.sender, partner.code or "")
        check_recipient(message.envelope.recipient, identity.code)
        ack = accept_verified(message=message, partner=partner, body=body, own_code=identity.code)
    except ProtocolError as refusal:
        return _refusal(refusal, signer.partner, headers=headers, path=path, url=url)
    return _signed(200, MEDIA_TYPE, encode_message(ack), headers=headers, url=url)


def accept_verified(*, message: Message, partner: PartnerHotline, body: bytes, own_code: str) -> dict[str, Any]:
    """Apply a message whose signature, digest, sender and recipient `receive` has checked, once, and return
    its ack document (unsigned). Raises the ProtocolError to answer. Apart from `receive`, only the network
    benchmark calls it, for its unsigned baseline (the same apply without the signature work)."""
    if not isinstance(message, ReportForward | ReportStatus):
        raise UnknownMessageType("An ack is the answer to a delivery, not a delivery.")
    # The count commits with what the message writes (one commit, not two); a refused request rolls its
    # own count back, so the counter stays just above the limit and every further request is refused.
    with transaction.atomic():
        _count_request(partner)
        committed_at, duplicate = _apply_once(message=message, partner=partner, body=body, own_code=own_code)
    return build_ack(
        sender=own_code,
        recipient=partner.code or "",
        acked_message_id=message.envelope.id,
        committed_at=committed_at,
        duplicate=duplicate,
        message_id=uuid4(),
        validate=False,  # built here from the committed row; the sender validates every ack it receives
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _count_request(partner: PartnerHotline) -> None:
    window, left = current_window(60)
    count = count_event(subject_key("network-inbox", partner.code or str(partner.pk), window), ttl_seconds=left + 60)
    if count > conf.partner_requests_per_minute():
        raise RateLimitExceeded(f"At most {conf.partner_requests_per_minute()} requests a minute; try again later.")


def _apply_once(
    *, message: ReportForward | ReportStatus, partner: PartnerHotline, body: bytes, own_code: str
) -> tuple[datetime, bool]:
    """Apply a verified message in one transaction with its idempotency row; (committed_at, duplicate)."""
    digest = body_sha256(body)
    envelope = message.envelope
    for _attempt in range(2):  # a concurrent delivery of the same message loses on the unique key, then reads it
        existing = InboxMessage.objects.filter(sender=envelope.sender, message_id=envelope.id).first()
        if existing is not None:
            decide_delivery(stored_body_sha256=existing.body_sha256, body_sha256=digest)  # MessageIdConflict
            with transaction.atomic():
                referral_services.record_partner_contact(partner_id=partner.pk)
                audit.record(
                    actor=_actor(partner),
                    action="network.message_duplicate",
                    object_type="network_inbox",
                    object_id=existing.pk,
                    details={"message_id": str(envelope.id), "kind": envelope.type.value},
                )
            return existing.received_at, True
        assert decide_delivery(stored_body_sha256=None, body_sha256=digest) is InboxDecision.NEW
        try:
            with transaction.atomic():
                row, status_queued = _apply(message=message, partner=partner, digest=digest, own_code=own_code)
                referral_services.record_partner_contact(partner_id=partner.pk, at=row.received_at)
                audit.record(
                    actor=_actor(partner),
                    action="network.message_received",
                    object_type="network_inbox",
                    object_id=row.pk,
                    details={
                        "message_id": str(envelope.id),
                        "kind": envelope.type.value,
                        "report": row.report_id,
                        "about": row.about_id,
                        "status": row.status or None,
                        "applied": row.applied,
                        # The `received` status owed back for a forward, queued in this transaction: this
                        # entry is its audit record (one entry per delivery, not two).
                        "status_queued": str(status_queued.message_id) if status_queued else None,
                    },
                )
            return row.received_at, False
        except IntegrityError:
            continue
    raise ReportNotAccepted("The message could not be committed; send it again.")


def _apply(
    *, message: ReportForward | ReportStatus, partner: PartnerHotline, digest: str, own_code: str
) -> tuple[InboxMessage, OutboxMessage | None]:
    envelope = message.envelope
    now = timezone.now()
    row = InboxMessage(
        sender=envelope.sender,
        message_id=envelope.id,
        partner=partner,
        body_sha256=digest,
        created=envelope.created,
        received_at=now,
    )
    if isinstance(message, ReportForward):
        row.kind = MessageKind.REPORT_FORWARD
        row.case_reference = message.case_reference
        hashes = [HashInput(kind=h.type, value=h.value) for h in message.hashes if h.type in _HASH_KINDS]
        try:
            submitted = intake_services.submit_network_report(
                partner_code=envelope.sender,
                kind=message.kind,
                urls=list(message.urls),
                description=message.shared_description or "",
                hashes=hashes,
            )
        except DomainError as exc:
            raise ReportNotAccepted("The report breaks a rule of this hotline's intake.") from exc
        row.report = submitted.report
        row.save()
        queued = queue_status(forward=row, status="received", status_at=now, sender=own_code, audited=False, first=True)
        return row, queued
    forward = OutboxMessage.objects.filter(
        message_id=message.forward_id, kind=MessageKind.REPORT_FORWARD, partner=partner
    ).first()
    if forward is None:
        raise UnknownForward("No forward with this forward_id was sent to you.")
    row.kind = MessageKind.REPORT_STATUS
    row.about = forward
    row.status = message.status
    row.status_at = message.status_at
    row.removed_at = message.removed_at
    earlier = [
        StatusPoint(status=r.status, status_at=r.status_at, message_id=r.message_id)
        for r in InboxMessage.objects.filter(about=forward).exclude(status_at=None)
        if r.status_at is not None
    ]
    candidate = StatusPoint(status=message.status, status_at=message.status_at, message_id=envelope.id)
    row.applied = supersedes(candidate, current_status(earlier))
    row.save()
    _apply_status_to_referral(
        forward=forward, status=message.status, at=message.removed_at or message.status_at, partner=partner
    )
    return row, None


def _apply_status_to_referral(*, forward: OutboxMessage, status: str, at: datetime, partner: PartnerHotline) -> None:
    """A removal (or its refusal) reported by the partner ends our referral, in whatever order it arrives: it
    is a fact about the material, not a step that a later status could undo."""
    from hotline.network.services.case_events import record_partner_status

    referral = forward.referral
    if forward.case_id is not None:
        record_partner_status(case_id=forward.case_id, partner=partner, status=status, at=at)
    if referral is None or referral.is_final:
        return
    if status == "content_removed":
        referral_services.mark_content_removed(
            case_id=referral.case_id, actor=_actor(partner), method=RemovalMethod.REPORTED_BY_PARTNER, at=at
        )
    elif status == "not_removed":
        referral_services.mark_not_removed(
            referral_id=referral.pk,
            actor=_actor(partner),
            reason="The partner hotline reported that the material was not removed.",
        )


def _actor(partner: PartnerHotline | None) -> str:
    return f"partner:{partner.code}" if partner is not None and partner.code else "network:unknown-sender"


def _refusal(
    refusal: ProtocolError, partner: PartnerHotline | None, *, headers: Mapping[str, str], path: str, url: str = ""
) -> Answer:
    """The problem answer, and its audit entry (ids and the problem's code only: nothing from the body)."""
    with transaction.atomic():
        audit.record(
            actor=_actor(partner),
            action="network.message_refused",
            object_type="network_inbox",
            details={"problem": refusal.code, "status": refusal.status, "partner": partner.pk if partner else None},
        )
    base = url[: -len(path)] if url.endswith(path) else ""
    body = encode_message(refusal.problem(base_url=base))
    answer = (
        _signed(refusal.status, "application/problem+json", body, headers=headers, url=url)
        if url
        else Answer(status=refusal.status, content_type="application/problem+json", body=body, headers={})
    )
    if isinstance(refusal, RateLimitExceeded):
        answer = Answer(answer.status, answer.content_type, answer.body, {**answer.headers, "Retry-After": "60"})
    return answer


def _signed(status: int, content_type: str, body: bytes, *, headers: Mapping[str, str], url: str) -> Answer:
    answer_headers = {"Content-Type": content_type}
    try:
        key = own_key.private_key()
        answer_headers |= sign_response(
            status,
            answer_headers,
            body,
            request_method="POST",
            request_url=url,
            request_headers=dict(headers.items()),
            private_key=key,
            key_id=key_id(key.public_key()),
            created=timezone.now(),
        )
    except Exception as exc:  # a problem about the request's own signature fields may not be signable
        logger.info("Answer %s left unsigned (%s).", status, type(exc).__name__)
    return Answer(status=status, content_type=content_type, body=body, headers=answer_headers)


def verdict_status(verdict: str) -> str:
    return "assessed_illegal" if verdict in ILLEGAL_VERDICTS else "assessed_not_illegal"
