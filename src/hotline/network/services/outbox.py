"""The outbox: messages to partners committed with the change that causes them (a network referral, a status
of a forward we received), and the worker's delivery: claim with a lease, sign afresh, POST the stored bytes,
verify the signed ack, record the result; retries by hotline.core.backoff with jitter until `failed`.

The HTTP call runs outside any transaction (a slow partner must not hold the database's write lock); the claim
before and the result after are short transactions, so a task run twice, or a worker killed mid-send, at worst
sends the same bytes again, which the partner's inbox answers as a duplicate (idempotent on sender + id)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from django.db import transaction
from django.utils import timezone

from hotline.cases.models import ReportHash
from hotline.cases.selectors import case_reports
from hotline.core import audit
from hotline.core.backoff import backoff
from hotline.network import conf, own_key
from hotline.network.models import InboxMessage, MessageKind, OutboxMessage, OutboxState, PinnedKey
from hotline.network.protocol import (
    INBOX_PATH,
    MEDIA_TYPE,
    HashValue,
    HostingFact,
    ProtocolError,
    build_report_forward,
    build_report_status,
    decode_json,
    encode_message,
    endpoint_url,
    is_retryable,
    key_id,
    parse_message,
    sign_request,
    verify_response,
)
from hotline.network.protocol.keys import _b64url_decode, public_key_from_raw
from hotline.network.protocol.messages import Ack
from hotline.network.services.identity import SYSTEM, own_identity
from hotline.network.tasks import send_message
from hotline.referrals import selectors as referral_selectors
from hotline.referrals import services as referral_services
from hotline.referrals.errors import ReferralError
from hotline.referrals.models import PartnerChannel, Referral

logger = logging.getLogger("hotline.network")

FORWARD_CLASSIFICATIONS = frozenset({"csam_baseline", "csam_national", "harmful_not_illegal"})
_HASH_TYPES = {"sha256": "sha256", "md5": "md5", "pdq": "pdq"}


# A status back to the sender waits behind the receiver's own work on its worker (triage of the reports that
# just arrived, which is what makes a forward visible in the queue): it is owed, not urgent. Forwards keep the
# default priority.
STATUS_PRIORITY = -10


def _enqueue(message: OutboxMessage, *, at: datetime | None = None) -> None:
    priority = STATUS_PRIORITY if message.kind == MessageKind.REPORT_STATUS else send_message.priority
    if at is not None and at > timezone.now():
        send_message.using(run_after=at, priority=priority).enqueue(message.pk)
    else:
        send_message.using(priority=priority).enqueue(message.pk)


def _audit_queued(message: OutboxMessage, actor: Any) -> None:
    audit.record(
        actor=actor,
        action="network.message_queued",
        object_type="network_outbox",
        object_id=message.pk,
        details={
            "message_id": str(message.message_id),
            "kind": message.kind,
            "partner": message.partner_id,
            "referral": message.referral_id,
            "status": message.status or None,
        },
    )


# --- what causes a message ------------------------------------------------------------------------
def forward_document(*, referral: Referral, message_id: UUID, sender: str) -> dict[str, Any]:
    """The report.forward of a network referral: case facts only. Never reporter contact, receipt, channel or
    anything about a reporter; the reports' descriptions only when the analyst ticked "share description"."""
    case = referral.case
    snapshot = referral_selectors.referral_snapshot(referral=referral)
    if snapshot.verdict not in FORWARD_CLASSIFICATIONS:
        raise ReferralError("Only a case assessed as illegal or harmful can be forwarded to a partner hotline.")
    if not case.canonical_url:
        raise ReferralError("Only a case with a URL can be forwarded over the hotline network.")
    hosting = snapshot.hosting
    facts = [
        HostingFact(ip=ip, country=hosting.country or None, asn=hosting.asn, abuse_contact=hosting.abuse_email or None)
        for ip in hosting.ips
    ]
    reports = case_reports(case)
    hashes = [
        HashValue(type=_HASH_TYPES[h.kind], value=h.value)
        for h in ReportHash.objects.filter(report__in=reports).order_by("kind", "value").distinct()
        if h.kind in _HASH_TYPES
    ]
    description = None
    if referral.share_description:
        texts = [r.description.strip() for r in reports if (r.description or "").strip()]
        description = "\n\n".join(dict.fromkeys(texts))[:10000] or None
    assert referral.partner is not None and referral.partner.code
    return build_report_forward(
        sender=sender,
        recipient=referral.partner.code,
        case_reference=referral.reference,
        first_reported_at=snapshot.first_seen_at,
        urls=[case.canonical_url],
        kind=snapshot.assessment_kind if snapshot.assessment_kind in _KINDS else case.kind,
        classification=snapshot.verdict,
        site_type=snapshot.site_type or None,
        hosting=list(dict.fromkeys(facts)),
        hashes=list(dict.fromkeys(hashes)),
        shared_description=description,
        message_id=message_id,
    )


_KINDS = frozenset({"online_material", "trafficking", "grooming", "sextortion", "travelling_offender", "other"})


def queue_forward(*, referral: Referral) -> OutboxMessage:
    """The report.forward of a network referral, in the referral's own transaction (referrals' hook)."""
    partner = referral.partner
    if partner is None or partner.channel != PartnerChannel.NETWORK or not partner.code:
        raise ReferralError("This partner hotline is not reached over the hotline network.")
    if not PinnedKey.objects.filter(partner=partner, retired_at__isnull=True).exists():
        raise ReferralError("No key of this partner hotline is pinned yet: confirm its fingerprint first.")
    identity = own_identity()
    message_id = uuid4()
    document = forward_document(referral=referral, message_id=message_id, sender=identity.code)
    now = timezone.now()
    message = OutboxMessage.objects.create(
        message_id=message_id,
        kind=MessageKind.REPORT_FORWARD,
        partner=partner,
        referral=referral,
        case=referral.case,
        body=encode_message(document).decode("utf-8"),
        next_attempt_at=now,
        created_at=now,
    )
    _audit_queued(message, SYSTEM)
    _enqueue(message)
    return message


def queue_status(
    *,
    forward: InboxMessage,
    status: str,
    status_at: datetime,
    removed_at: datetime | None = None,
    sender: str | None = None,
    audited: bool = True,
    first: bool = False,
) -> OutboxMessage | None:
    """A report.status for a forward we received, each status once per forward (later calls are ignored), in
    the transaction of the change that caused it. `sender`: our hotline code when the caller has it.
    `audited=False` only where the caller's own audit entry, in the same transaction, names the queued message
    (the inbox's `received`). `first`: the forward was inserted in this transaction, so it has no status yet."""
    if not first and OutboxMessage.objects.filter(forward=forward, status=status).exists():
        return None
    message_id = uuid4()
    document = build_report_status(
        sender=sender or own_identity().code,
        recipient=forward.sender,
        forward_id=forward.message_id,
        forward_case_reference=forward.case_reference,
        status=status,
        status_at=min(status_at, timezone.now()),
        removed_at=min(removed_at, timezone.now()) if removed_at else None,
        message_id=message_id,
        validate=False,  # built here from typed values; the partner validates it, the tests validate it here
    )
    now = timezone.now()
    with transaction.atomic():  # a savepoint: a concurrent twin loses on the unique constraint, nothing else
        message = OutboxMessage.objects.create(
            message_id=message_id,
            kind=MessageKind.REPORT_STATUS,
            partner=forward.partner,
            forward=forward,
            status=status,
            body=encode_message(document).decode("utf-8"),
            next_attempt_at=now,
            created_at=now,
        )
        if audited:
            _audit_queued(message, SYSTEM)
    _enqueue(message)
    return message


# --- delivery -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    outbox_id: int
    attempt: int
    body: bytes
    url: str
    partner_id: int
    referral_id: int | None
    message_id: UUID


def claim(*, outbox_id: int, now: datetime | None = None) -> Claim | None:
    """Take a due message for this worker, or None. The lease (next_attempt_at pushed past the timeout) keeps
    a duplicate task off it; a worker killed mid-send is covered when the lease ends."""
    now = now or timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().select_related("partner").filter(pk=outbox_id).first()
        if message is None or message.state in (OutboxState.DELIVERED, OutboxState.FAILED):
            return None
        if message.next_attempt_at is None or message.next_attempt_at > now:
            return None
        message.attempts += 1
        message.next_attempt_at = now + lease()
        message.save(update_fields=["attempts", "next_attempt_at"])
        return Claim(
            outbox_id=message.pk,
            attempt=message.attempts,
            body=message.body.encode("utf-8"),
            url=endpoint_url(message.partner.base_url, INBOX_PATH),
            partner_id=message.partner_id,
            referral_id=message.referral_id,
            message_id=message.message_id,
        )


def lease() -> timedelta:
    return timedelta(seconds=max(30.0, 3 * conf.send_timeout()))


def _pinned_keys(partner_id: int) -> Mapping[str, Any]:
    return {
        k.key_id: public_key_from_raw(_b64url_decode(k.public_key))
        for k in PinnedKey.objects.filter(partner_id=partner_id, retired_at__isnull=True)
    }


def send_outbox_message(outbox_id: int) -> str:
    """Run one due delivery. Returns "nothing", "delivered", "retrying" or "failed"."""
    from hotline.network import transport

    taken = claim(outbox_id=outbox_id)
    if taken is None:
        return "nothing"
    try:
        key = own_key.private_key()
        headers = {"Content-Type": MEDIA_TYPE}
        headers |= sign_request("POST", taken.url, headers, taken.body, key, key_id(key.public_key()), timezone.now())
    except Exception as exc:  # no key file, a partner URL that cannot be signed: a failure, never silence
        logger.error("Could not sign network message %s (%s).", outbox_id, type(exc).__name__)
        return record_result(
            claim=taken, ok=False, error=f"Could not sign the message ({type(exc).__name__}).", retryable=True
        )
    try:
        answer = transport.request(
            "POST", taken.url, headers=headers, body=taken.body, timeout=conf.send_timeout(), keep_alive=True
        )
    except transport.TransportError as exc:
        return record_result(claim=taken, ok=False, error=str(exc), retryable=True)
    if answer.status != 200:
        detail = _problem_detail(answer.body)
        retry_after = _retry_after(answer.headers.get("retry-after"))
        return record_result(
            claim=taken,
            ok=False,
            error=f"HTTP {answer.status}{': ' + detail if detail else ''}",
            retryable=is_retryable(answer.status),
            http_status=answer.status,
            retry_after=retry_after,
            duration_ms=answer.duration_ms,
        )
    try:
        verify_response(
            answer.status,
            answer.headers,
            answer.body,
            request_method="POST",
            request_url=taken.url,
            request_headers=headers,
            resolve_key=_pinned_keys(taken.partner_id).get,
            now=timezone.now(),
            window=conf.replay_window(),
        )
        ack = parse_message(decode_json(answer.body))
        if not isinstance(ack, Ack) or ack.message_id != taken.message_id:
            raise ValueError("not the ack of this message")
    except (ProtocolError, ValueError) as exc:
        # The partner may have committed it; the retry is answered as a duplicate with a proper ack.
        name = exc.code if isinstance(exc, ProtocolError) else "ack-invalid"
        return record_result(
            claim=taken,
            ok=False,
            error=f"The answer's ack was not accepted ({name}).",
            retryable=True,
            http_status=200,
            duration_ms=answer.duration_ms,
        )
    return record_result(claim=taken, ok=True, http_status=200, duration_ms=answer.duration_ms)


def _problem_detail(body: bytes) -> str:
    try:
        document = decode_json(body)
    except ProtocolError:
        return ""
    return str(document.get("detail") or document.get("title") or "")[:300]


def _retry_after(value: str | None) -> timedelta | None:
    if value and value.strip().isdigit():
        return timedelta(seconds=min(int(value.strip()), 24 * 3600))
    return None


def record_result(
    *,
    claim: Claim,
    ok: bool,
    error: str = "",
    retryable: bool = False,
    http_status: int | None = None,
    retry_after: timedelta | None = None,
    duration_ms: int = 0,
    now: datetime | None = None,
) -> str:
    now = now or timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=claim.outbox_id)
        if message.state in (OutboxState.DELIVERED, OutboxState.FAILED):
            return "nothing"
        message.last_http_status = http_status
        if ok:
            message.state = OutboxState.DELIVERED
            message.delivered_at = now
            message.next_attempt_at = None
            message.last_error = ""
            outcome = "delivered"
            referral_services.record_partner_contact(partner_id=message.partner_id, at=now)
        else:
            message.last_error = (error or "unknown error")[:500]
            will_retry = retryable and message.attempts < conf.max_attempts()
            if will_retry:
                wait = backoff(message.attempts, base=conf.retry_base(), cap=conf.retry_cap(), jitter=0.5)
                message.state = OutboxState.RETRYING
                message.next_attempt_at = now + max(wait, retry_after or timedelta(0))
                outcome = "retrying"
            else:
                message.state = OutboxState.FAILED
                message.failed_at = now
                message.next_attempt_at = None
                outcome = "failed"
        message.save()
        audit.record(
            actor=SYSTEM,
            action=f"network.message_{outcome}",
            object_type="network_outbox",
            object_id=message.pk,
            details={
                "message_id": str(message.message_id),
                "kind": message.kind,
                "partner": message.partner_id,
                "attempt": claim.attempt,
                "http_status": http_status,
            },
        )
        if message.referral_id is not None:
            referral_services.record_network_attempt(
                referral_id=message.referral_id,
                ok=ok,
                error=message.last_error if not ok else "",
                will_retry=outcome == "retrying",
                next_attempt_at=message.next_attempt_at,
                message_id=str(message.message_id),
                duration_ms=duration_ms,
                now=now,
            )
        if outcome == "retrying":
            _enqueue(message, at=message.next_attempt_at)
    return outcome


def retry_now(*, referral_id: int) -> int:
    """Staff retried a failed network referral: its failed forward starts again (attempts count on)."""
    messages = list(OutboxMessage.objects.select_for_update().filter(referral_id=referral_id, state=OutboxState.FAILED))
    now = timezone.now()
    for message in messages:
        message.state = OutboxState.RETRYING
        message.failed_at = None
        message.next_attempt_at = now
        message.save(update_fields=["state", "failed_at", "next_attempt_at"])
        _enqueue(message)
    return len(messages)


def enqueue_due_messages(*, now: datetime | None = None) -> int:
    due = list(
        OutboxMessage.objects.filter(
            state__in=[OutboxState.PENDING, OutboxState.RETRYING], next_attempt_at__lte=now or timezone.now()
        ).values_list("pk", flat=True)[:500]
    )
    for outbox_id in due:
        send_message.enqueue(outbox_id)
    return len(due)
