"""Writes of the intake app: reports from every channel, reporters' messages, idempotency of the partner API.

`submit_report` is the one way a report enters Hotline: Report + ReportedUrls + the triage task +
one audit entry, in one transaction. A 2xx answer is only sent after it returns. The errors raised
live in intake.errors (imported here, so `services.ReportRejected` and the rest keep working).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import services as cases_services
from hotline.cases.blind_indexes import url_index
from hotline.cases.models import Channel, NexusHint, Report, ReportedUrl, ReporterMessage, ReportKind
from hotline.cases.rules import HashInput, report_hash_problems
from hotline.core import audit
from hotline.core.bulk import insert_rows
from hotline.core.retention import run_policy
from hotline.intake import conf, ratelimit, report_sql
from hotline.intake.errors import (
    BatchRejected,
    IdempotencyConflict,
    KeyRevoked,
    ReportRejected,
    TooManyRequests,
)
from hotline.intake.models import HotlineReply, IdempotencyRecord
from hotline.intake.ratelimit import RateCount
from hotline.intake.receipts import new_receipt, receipt_index
from hotline.intake.retention import IDEMPOTENCY
from hotline.intake.rules import (
    MAX_API_HASHES,
    CheckedReport,
    ReportInput,
    hashes_of,
    own_images_hashes,
    own_images_message_problem,
    report_problems,
    text_problem,
)
from hotline.staff.models import PartnerKey, StaffUser

PUBLIC_ACTOR = "public"
CHANNELS = frozenset(Channel.values)
RECEIPT_CHANNELS = frozenset({Channel.WEB, Channel.BOOKMARK, Channel.SHARE, Channel.STAFF, Channel.OWN_IMAGES})


@dataclass(frozen=True)
class SubmittedReport:
    report: Report
    receipt: str  # 16 digits, shown once; "" for channels without receipts (api, network)


def partner_actor(partner: str) -> str:
    return f"partner:{partner}"


def _validated(report: ReportInput) -> ReportInput:
    problems = report_problems(report)
    if problems:
        raise ReportRejected(problems)
    return report


def _new_report(
    data: ReportInput,
    *,
    channel: str,
    source_name: str,
    partner_key: PartnerKey | None,
    entered_by: StaffUser | None,
    receipt: str,
    received_at: Any,
) -> Report:
    return Report(
        received_at=received_at,
        channel=channel,
        source_name=source_name,
        kind=data.kind,
        where_seen=data.where_seen.strip(),
        description=data.description.strip(),
        contact=data.contact.strip(),
        reporter_classification=data.reporter_classification,
        nexus_victim=data.nexus_victim,
        nexus_offender=data.nexus_offender,
        nexus_place=data.nexus_place,
        language=data.language,
        receipt_index=receipt_index(receipt) if receipt else "",
        partner_key=partner_key,
        entered_by=entered_by,
    )


def submit_report(
    *,
    channel: str,
    kind: str,
    urls: Sequence[str] = (),
    where_seen: str = "",
    description: str = "",
    contact: str = "",
    reporter_classification: str = "",
    nexus_victim: str = NexusHint.UNKNOWN,
    nexus_offender: str = NexusHint.UNKNOWN,
    nexus_place: str = NexusHint.UNKNOWN,
    language: str = "sv",
    source_name: str = "",
    partner_key: PartnerKey | None = None,
    entered_by: StaffUser | None = None,
    actor: StaffUser | str | None = None,
    issue_receipt: bool | None = None,
    rate: RateCount | None = None,
    hashes: Sequence[HashInput] = (),
) -> SubmittedReport:
    """Store one report from any channel and queue its triage, atomically (with its `hashes`, if any).

    `channel` is a cases.Channel value; api and network reports name their source in `source_name`.
    A receipt is issued for public and staff channels unless `issue_receipt` says otherwise.
    Raises ReportRejected (nothing stored) when the input is not valid; with `rate` (a counted event of
    a rate limit), TooManyRequests over the limit.
    """
    if channel not in CHANNELS:
        raise ReportRejected({"channel": f"Unknown channel {channel!r}."})
    data = _validated(
        ReportInput(
            kind=kind,
            urls=list(urls),
            where_seen=where_seen,
            description=description,
            contact=contact,
            reporter_classification=reporter_classification,
            nexus_victim=nexus_victim,
            nexus_offender=nexus_offender,
            nexus_place=nexus_place,
            language=language,
        )
    )
    return _store_report(
        data,
        channel=channel,
        source_name=source_name,
        partner_key=partner_key,
        entered_by=entered_by,
        actor=actor,
        issue_receipt=issue_receipt,
        rate=rate,
        hashes=_checked_hashes(hashes),
    )


def _checked_hashes(hashes: Sequence[HashInput]) -> list[HashInput]:
    """The hashes in normal form, or ReportRejected ({"hashes.<i>": message}) before anything is written."""
    if not hashes:
        return []
    problems = report_hash_problems(list(hashes), limit=MAX_API_HASHES)
    if problems:
        raise ReportRejected(problems)
    return cases_services.check_report_hashes(list(hashes))


def _hash_problems(hashes: Sequence[HashInput]) -> dict[str, str]:
    return report_hash_problems(list(hashes), limit=MAX_API_HASHES) if hashes else {}


def submit_checked_report(
    *,
    channel: str,
    report: CheckedReport,
    source_name: str = "",
    partner_key: PartnerKey | None = None,
    rate: RateCount | None = None,
) -> SubmittedReport:
    """Store a report its caller already validated with `rules.check_report` (no second validation).

    Anything that is not a CheckedReport is refused (TypeError); `submit_report` is for raw input.
    """
    if not isinstance(report, CheckedReport):
        raise TypeError("submit_checked_report() takes a CheckedReport; use submit_report() for raw input.")
    if channel not in CHANNELS:
        raise ReportRejected({"channel": f"Unknown channel {channel!r}."})
    return _store_report(
        report.data,
        channel=channel,
        source_name=source_name,
        partner_key=partner_key,
        entered_by=None,
        actor=None,
        issue_receipt=None,
        rate=rate,
    )


def _store_report(
    data: ReportInput,
    *,
    channel: str,
    source_name: str,
    partner_key: PartnerKey | None,
    entered_by: StaffUser | None,
    actor: StaffUser | str | None,
    issue_receipt: bool | None,
    rate: RateCount | None = None,
    hashes: Sequence[HashInput] = (),
) -> SubmittedReport:
    """Write a validated report: Report + URLs + triage task (+ audit for staff) (+ its hashes), atomically.

    With `rate`, the event is counted in the same write and TooManyRequests is raised (nothing but the
    count stored) over the limit. A partner's report is refused with KeyRevoked when its key was revoked,
    checked in the same write.
    """
    if issue_receipt is None:
        issue_receipt = channel in RECEIPT_CHANNELS
    receipt = new_receipt() if issue_receipt else ""
    if actor is None:
        actor = entered_by or (
            partner_actor(source_name) if channel in {Channel.API, Channel.NETWORK} else PUBLIC_ACTOR
        )
    report = _new_report(
        data,
        channel=channel,
        source_name=source_name,
        partner_key=partner_key,
        entered_by=entered_by,
        receipt=receipt,
        received_at=timezone.now(),
    )
    # One transaction around the report's write when more is written with it (a staff audit entry, hashes).
    atomic = isinstance(actor, StaffUser) or bool(hashes)
    with transaction.atomic(savepoint=False) if atomic else nullcontext():
        outcome = report_sql.write_report(
            report,
            data.urls,
            [url_index(url) for url in data.urls],
            rate=rate.event if rate is not None else None,
            live_partner_key=partner_key.pk if partner_key is not None and channel == Channel.API else None,
        )
        if outcome.stored and hashes:
            cases_services.store_report_hashes(report=report, hashes=hashes, actor=actor)
        if outcome.stored and isinstance(actor, StaffUser):
            # A report entered by staff is a staff action: audited here, with its actor.
            audit.record(
                actor=actor,
                action="report.received",
                object_type="report",
                object_id=report.pk,
                details={"channel": channel, "kind": data.kind, "urls": len(data.urls), "source": source_name},
            )
        # Public and partner reports are written to the audit log by triage (system actor, with channel,
        # kind, URL count and source), which keeps the audit chain's single lock off the public hot path.
        # The report and its triage task are written together, so no report escapes the log.
    # Raised after the block: a refused event's count is kept (committed) even inside the transaction.
    if not outcome.stored:
        if outcome.key_revoked:
            raise KeyRevoked()
        assert rate is not None and outcome.count is not None
        raise TooManyRequests(rate.decision(outcome.count))
    return SubmittedReport(report=report, receipt=receipt)


def submit_public_report(*, client: str, checked: CheckedReport | None = None, **report: Any) -> SubmittedReport:
    """A report from the public (form, bookmark, share target), counted against the client's hourly limit.

    `client` is the client's address: it only becomes a short-lived keyed hash of the counter. The count
    is written with the report (one statement on PostgreSQL, one transaction on SQLite).
    Raises TooManyRequests or ReportRejected; in both cases no report is stored. `checked` (with only
    `channel` in `report`) stores a report the caller already validated with rules.check_report.
    """
    rate = ratelimit.submissions().count(client)
    if checked is not None:  # validated by the caller (rules.check_report); only channel may come along
        return submit_checked_report(report=checked, rate=rate, **report)
    return submit_report(**report, rate=rate)


def submit_own_images_report(*, client: str, hashes: str, message: str = "", language: str = "sv") -> SubmittedReport:
    """A young person's own pictures or videos, by the hashes their browser computed (/report/own-images/).

    `hashes` is the posted JSON (one object a file: sha256, md5, pdq and its quality). No URL; the message is
    optional; `language` is the page's (the server's choice, not input). The report, its hashes
    (cases.ReportHash) and its triage task are stored in one transaction, with a receipt, counted against the
    client's hourly limit like every public report.

    Raises ReportRejected ({"hashes" | "message": message}, nothing stored) or TooManyRequests.
    """
    checked, problems = own_images_hashes(hashes, max_files=conf.own_images_max_files())
    message = (message or "").strip()
    if (problem := own_images_message_problem(message)) is not None:
        problems["message"] = problem
    if problems:
        raise ReportRejected(problems)
    data = ReportInput(kind=ReportKind.ONLINE_MATERIAL, description=message, language=language)
    return _store_report(
        data,
        channel=Channel.OWN_IMAGES,
        source_name="",
        partner_key=None,
        entered_by=None,
        actor=PUBLIC_ACTOR,
        issue_receipt=True,
        rate=ratelimit.submissions().count(client),
        hashes=cases_services.check_report_hashes(checked),
    )


def submit_network_report(
    *,
    partner_code: str,
    kind: str,
    urls: Sequence[str],
    description: str = "",
    hashes: Sequence[HashInput] = (),
) -> SubmittedReport:
    """A report a partner hotline forwarded over the hotline network (the network app verified the message):
    channel `network`, `source_name` the partner's hotline code, no receipt, no reporter contact (the protocol
    never carries one), its hashes as cases.ReportHash; queued for triage like every report, in the caller's
    transaction when there is one (the network inbox commits its idempotency row with it).

    Raises ReportRejected (nothing stored) when the report is not valid."""
    data = _validated(ReportInput(kind=kind, urls=list(urls), description=description, language="en"))
    return _store_report(
        data,
        channel=Channel.NETWORK,
        source_name=partner_code,
        partner_key=None,
        entered_by=None,
        actor=partner_actor(partner_code),
        issue_receipt=False,
        hashes=cases_services.check_report_hashes(list(hashes)) if hashes else (),
    )


def count_refused_partner_request(*, partner_key: PartnerKey) -> ratelimit.Decision:
    """Count a refused API request in its own transaction (the refused write rolled its count back); the
    decision says whether the key is still within its limit (the API answers 429 when it is not)."""
    with transaction.atomic():
        return ratelimit.partner_requests().hit(str(partner_key.pk))


def count_partner_request(*, partner_key: PartnerKey) -> None:
    """Count one API request of this key (inside the caller's transaction); TooManyRequests over the limit."""
    decision = ratelimit.partner_requests().hit(str(partner_key.pk))
    if not decision.allowed:
        raise TooManyRequests(decision)


def submit_report_batch(*, partner_key: PartnerKey, reports: Sequence[ReportInput]) -> list[Report]:
    """Store a partner's batch all-or-nothing: every report valid, or none stored (BatchRejected).

    Reports, URLs and triage tasks are written with bulk inserts in one transaction, with one audit
    entry for the batch listing the report ids.
    """
    if not 1 <= len(reports) <= conf.api_max_batch():
        raise BatchRejected({-1: {"reports": f"Send between 1 and {conf.api_max_batch()} reports."}})
    problems = {i: p for i, r in enumerate(reports) if (p := report_problems(r) | _hash_problems(hashes_of(r)))}
    if problems:
        raise BatchRejected(problems)
    now = timezone.now()
    partner = partner_key.partner
    with transaction.atomic():
        _ensure_live(partner_key)
        rows = [
            _new_report(
                data,
                channel=Channel.API,
                source_name=partner,
                partner_key=partner_key,
                entered_by=None,
                receipt="",
                received_at=now,
            )
            for data in reports
        ]
        insert_rows(Report, rows)  # bulk_create's rows, with less preparation per row on SQLite
        insert_rows(
            ReportedUrl,
            [
                ReportedUrl(report=report, position=i, url=url, url_index=url_index(url))
                for report, data in zip(rows, reports, strict=True)
                for i, url in enumerate(data.urls)
            ],
        )
        created = rows
        ids = [r.pk for r in created]
        for report, data in zip(rows, reports, strict=True):
            if hashes := hashes_of(data):  # in this transaction: no report without its hashes, nor hashes without it
                cases_services.store_report_hashes(report=report, hashes=hashes, actor=partner_actor(partner))
        cases_services.queue_triage(ids)  # the hand-off to triage, in this transaction
        audit.record(
            actor=partner_actor(partner),
            action="report.batch_received",
            object_type="report",
            object_id=ids[0],
            details={"channel": Channel.API, "source": partner, "count": len(ids), "report_ids": ids},
        )
    return created


# --- idempotency (partner API) -------------------------------------------------------------
@dataclass(frozen=True)
class IdempotentAnswer:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def _sha256(value: str | bytes) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    return _sha256(method.encode() + b" " + path.encode() + b"\n" + body)


def answer_once(
    *,
    partner: str,
    idempotency_key: str | None,
    request_hash: str,
    produce: Callable[[], tuple[int, dict[str, Any]]],
) -> IdempotentAnswer:
    """Run `produce` (an atomic write) at most once per (partner, Idempotency-Key).

    The first answer is stored in the same transaction as the write; a retry with the same key and the
    same request gets it back; the same key with another request raises IdempotencyConflict.
    """
    if not idempotency_key:
        status, body = produce()
        return IdempotentAnswer(status, body, False)
    key_hash = _sha256(idempotency_key)

    def replay() -> IdempotentAnswer | None:
        record = IdempotencyRecord.objects.filter(partner=partner, key_hash=key_hash).first()
        if record is None:
            return None
        if record.created_at < timezone.now() - conf.idempotency_ttl():
            record.delete()
            return None
        if record.request_hash != request_hash:
            raise IdempotencyConflict(
                _("This Idempotency-Key was already used for a different request. Use a new key for a new report.")
            )
        return IdempotentAnswer(record.status_code, record.response_body, True)

    earlier = replay()
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            status, body = produce()
            IdempotencyRecord.objects.create(
                partner=partner, key_hash=key_hash, request_hash=request_hash, status_code=status, response_body=body
            )
    except IntegrityError:
        # A concurrent request with the same key committed first; ours was rolled back entirely.
        earlier = replay()
        if earlier is None:
            raise
        return earlier
    return IdempotentAnswer(status, body, False)


def _created_body(report: Report) -> dict[str, Any]:
    return {"id": str(report.public_id), "status": "received", "received_at": report.received_at.isoformat()}


def submit_partner_report(
    *, partner_key: PartnerKey, report: ReportInput, idempotency_key: str | None, request_hash: str
) -> IdempotentAnswer:
    """One report from the partner API (channel api), at most once per Idempotency-Key."""

    def produce() -> tuple[int, dict[str, Any]]:
        submitted = submit_report(
            channel=Channel.API,
            kind=report.kind,
            urls=report.urls,
            where_seen=report.where_seen,
            description=report.description,
            contact=report.contact,
            reporter_classification=report.reporter_classification,
            nexus_victim=report.nexus_victim,
            nexus_offender=report.nexus_offender,
            nexus_place=report.nexus_place,
            language=report.language,
            source_name=partner_key.partner,
            partner_key=partner_key,
            rate=ratelimit.partner_requests().count(str(partner_key.pk)),  # counted by the same write
            hashes=hashes_of(report),
        )
        return 201, _created_body(submitted.report)

    if idempotency_key:
        _ensure_live(partner_key)  # a replay answers without writing: check the key here
    return answer_once(
        partner=partner_key.partner, idempotency_key=idempotency_key, request_hash=request_hash, produce=produce
    )


def submit_partner_batch(
    *, partner_key: PartnerKey, reports: Sequence[ReportInput], idempotency_key: str | None, request_hash: str
) -> IdempotentAnswer:
    """A partner's batch (all-or-nothing), at most once per Idempotency-Key."""

    def produce() -> tuple[int, dict[str, Any]]:
        with transaction.atomic():
            count_partner_request(partner_key=partner_key)
            created = submit_report_batch(partner_key=partner_key, reports=reports)
        return 201, {"count": len(created), "reports": [_created_body(r) for r in created]}

    if idempotency_key:
        _ensure_live(partner_key)  # a replay answers without writing: check the key here
    return answer_once(
        partner=partner_key.partner, idempotency_key=idempotency_key, request_hash=request_hash, produce=produce
    )


def purge_idempotency_records(*, now: datetime | None = None) -> int:
    """Delete Idempotency-Key answers older than HOTLINE_IDEMPOTENCY_HOURS now (the retention policy
    `intake.idempotency`, which the hourly retention run applies too)."""
    return run_policy(IDEMPOTENCY, now=now).count


# --- reporter follow-up ---------------------------------------------------------------------
def add_reporter_message(*, report: Report, text: str, client: str | None = None) -> ReporterMessage:
    """A reporter adds information to their report (via the receipt). Checked here, stored by cases (encrypted;
    the audit entry holds ids).

    Counted against the report's daily limit and, with `client` (the status page passes the client's
    address, kept only as a short-lived keyed hash), that client's hourly one, in the message's own
    transaction: TooManyRequests (nothing stored, nothing counted) over either. An empty or invalid
    message is refused (ReportRejected) before anything is counted."""
    text = (text or "").strip()
    problem = text_problem(text, limit=conf.MAX_MESSAGE) if text else _("Write a message before sending.")
    if problem:
        raise ReportRejected({"message": problem})
    limits = [(ratelimit.messages_per_receipt(), f"report:{report.pk}")]
    if client is not None:
        limits.append((ratelimit.messages_per_client(), client))
    with transaction.atomic():
        for limiter, subject in limits:
            decision = limiter.hit(subject)
            if not decision.allowed:
                raise TooManyRequests(decision)
        return cases_services.record_reporter_message(report=report, text=text, actor=PUBLIC_ACTOR)


def reply_to_reporter(*, report: Report, text: str, staff: StaffUser) -> HotlineReply:
    """A message from the hotline to the reporter of `report`, shown on their status page (receipt). Only a
    report that came with a receipt can be answered; the text is encrypted, the audit entry holds ids only.
    Raises ReportRejected ({"reply": message}) for an empty or invalid text or a report without a receipt."""
    text = (text or "").strip()
    problem = text_problem(text, limit=conf.MAX_MESSAGE) if text else _("Write the message before sending.")
    if not report.receipt_index:
        problem = _("This report came without a receipt: its reporter cannot read a reply.")
    if problem:
        raise ReportRejected({"reply": problem})
    with transaction.atomic():
        reply = HotlineReply.objects.create(report=report, text=text, sent_by=staff)
        audit.record(
            actor=staff,
            action="report.reply_sent",
            object_type="report",
            object_id=report.pk,
            details={"reply_id": reply.pk},
        )
    return reply


def _ensure_live(partner_key: PartnerKey) -> None:
    """KeyRevoked unless the key is live now (for writes whose key may come from the per-process cache)."""
    if not report_sql.partner_key_is_live(partner_key.pk):
        raise KeyRevoked()
