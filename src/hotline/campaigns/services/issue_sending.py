"""Newsletter issues, the worker's side: sending in batches, and stopping visibly when sending cannot go on.

Sending is recorded in few places: `_record_delivery` writes what happened to one recipient (sent,
skipped, failed with the error's name, or queued again), `_after_batch` decides what follows a batch (the
next one, now or after back-off) or marks the issue sent, and `_stop` stops the issue with its reason and
error, for the campaigner to see and resume (services/newsletter.py). No failure ends in silence: a
batch that raises anything stops the issue, and a mail server down `HOTLINE_CAMPAIGN_MAIL_ATTEMPTS`
batches in a row stops it too (every recipient stays queued; nobody is given up on).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hotline.campaigns import conf, mail, rules, selectors, tasks
from hotline.campaigns.models import DeliveryState, IssueDelivery, IssueState, NewsletterIssue, StopReason
from hotline.core import audit

logger = logging.getLogger("hotline.campaigns")
SENDING_LEASE = selectors.SENDING_LEASE


@dataclass(frozen=True)
class BatchResult:
    sent: int
    skipped: int
    failed: int
    remaining: int
    smtp_down: bool
    stopped: bool = False


@dataclass(frozen=True)
class _Outcome:
    """What happened to one delivery of a batch."""

    state: str
    error: str = ""  # the exception's class name, never the address or the server's text
    smtp_down: bool = False  # the server failed, not this address: the rest of the batch waits


def run_issue_batch(*, issue_id: int, batch_size: int | None = None) -> BatchResult:
    """Send the next batch of one issue (task body). Idempotent: every delivery row is claimed,
    and a row marked sent is never sent again; rows claimed by a worker that died are retried
    after SENDING_LEASE (so at most the one mail in flight at a crash can go out twice)."""
    issue = NewsletterIssue.objects.filter(pk=issue_id).first()
    if issue is None or issue.state != IssueState.SENDING:
        return BatchResult(0, 0, 0, 0, False)
    ids = _claim_batch(issue_id, batch_size or conf.newsletter_batch_size())
    tally = dict.fromkeys(DeliveryState.values, 0)
    smtp_down = ""
    try:
        smtp_down = _send_batch(issue, ids, tally)
    except Exception as exc:  # whatever it is, the issue says so and waits for a person
        # The class name only: an exception's text can hold a subscriber's address.
        logger.error("Newsletter issue %s stopped (%s).", issue_id, type(exc).__name__)
        _stop(issue_id, reason=StopReason.ERROR, error=type(exc).__name__, release=ids)
        return BatchResult(
            tally[DeliveryState.SENT], tally[DeliveryState.SKIPPED], tally[DeliveryState.FAILED], 0, False, True
        )
    remaining = IssueDelivery.objects.filter(
        issue_id=issue_id, state__in=[DeliveryState.QUEUED, DeliveryState.SENDING]
    ).count()
    stopped = _after_batch(issue_id=issue_id, remaining=remaining, smtp_down=smtp_down)
    return BatchResult(
        tally[DeliveryState.SENT],
        tally[DeliveryState.SKIPPED],
        tally[DeliveryState.FAILED],
        remaining,
        bool(smtp_down),
        stopped,
    )


def _send_batch(issue: NewsletterIssue, ids: list[int], tally: dict[str, int]) -> str:
    """Send the claimed deliveries over one connection; the error name of a mail server outage, or ""."""
    smtp_down = ""
    deliveries = IssueDelivery.objects.filter(pk__in=ids).select_related("subscriber").order_by("pk")
    connection = get_connection(fail_silently=False)
    try:
        for delivery in deliveries:
            outcome = _Outcome(DeliveryState.QUEUED) if smtp_down else _send_one(connection, issue, delivery)
            _record_delivery(delivery.pk, outcome)
            tally[outcome.state] += 1
            if outcome.smtp_down:
                smtp_down = outcome.error
                with contextlib.suppress(Exception):  # the connection is broken already
                    connection.close()
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return smtp_down


def _claim_batch(issue_id: int, batch_size: int) -> list[int]:
    """Mark the next `batch_size` queued (or abandoned) deliveries as being sent; their ids."""
    now = timezone.now()
    with transaction.atomic():
        claimable = Q(issue_id=issue_id) & (
            Q(state=DeliveryState.QUEUED) | Q(state=DeliveryState.SENDING, claimed_at__lt=now - SENDING_LEASE)
        )
        ids = list(
            IssueDelivery.objects.select_for_update(skip_locked=True)
            .filter(claimable)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        IssueDelivery.objects.filter(pk__in=ids).update(
            state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return ids


def _send_one(connection: Any, issue: NewsletterIssue, delivery: IssueDelivery) -> _Outcome:
    """Send one delivery. What concerns this recipient alone is its outcome; anything else (the issue's own
    mail cannot be built, our sender is refused) raises and stops the issue."""
    subscriber = delivery.subscriber
    if not subscriber.is_active:
        return _Outcome(DeliveryState.SKIPPED)
    try:
        sanitize_address(subscriber.email, "utf-8")
    except ValueError:  # an address stored before it was checked as it is now: this recipient only
        return _Outcome(DeliveryState.FAILED, "InvalidAddress")
    message = mail.issue_message(issue, subscriber)
    message.message()  # builds the headers: a subject the mail cannot carry raises here, for the whole issue
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        # This address is refused for good: record it and go on with the others.
        return _Outcome(DeliveryState.FAILED, type(exc).__name__)
    except smtplib.SMTPSenderRefused:
        raise  # our own sender address is refused: no recipient can get the issue
    except (smtplib.SMTPException, OSError) as exc:
        return _Outcome(DeliveryState.QUEUED, type(exc).__name__, smtp_down=True)
    return _Outcome(DeliveryState.SENT)


def _record_delivery(delivery_id: int, outcome: _Outcome) -> None:
    """Write one delivery's result at once (autocommit), so the issue page shows progress while sending."""
    fields: dict[str, Any] = {"state": outcome.state}
    if outcome.state == DeliveryState.SENT:
        fields.update(sent_at=timezone.now(), error="")
    elif outcome.error:
        fields["error"] = outcome.error
    IssueDelivery.objects.filter(pk=delivery_id).update(**fields)


def _after_batch(*, issue_id: int, remaining: int, smtp_down: str) -> bool:
    """Queue what follows a batch, or mark the issue sent; True when the issue stopped."""
    with transaction.atomic():
        issue = NewsletterIssue.objects.select_for_update().get(pk=issue_id)
        if issue.state != IssueState.SENDING:
            return False
        now = timezone.now()
        if remaining:
            issue.outages = issue.outages + 1 if smtp_down else 0
            if issue.outages >= conf.mail_max_attempts():
                _stop_locked(issue, reason=StopReason.MAIL_SERVER, error=smtp_down, now=now)
                return True
            due = now + rules.mail_backoff(issue.outages) if smtp_down else now
            issue.next_batch_at = due
            issue.save(update_fields=["outages", "next_batch_at"])
            if due > now:
                tasks.send_issue_batch.using(run_after=due).enqueue(issue_id, issue.outages + 1)
            else:
                tasks.send_issue_batch.enqueue(issue_id, 1)
            return False
        issue.state = IssueState.SENT
        issue.sent_at = now
        issue.next_batch_at = None
        issue.save(update_fields=["state", "sent_at", "next_batch_at"])
        audit.record(
            actor=audit.SYSTEM,
            action="newsletter.issue_sent",
            object_type="newsletter_issue",
            object_id=issue_id,
            details=selectors.delivery_counts(issue_id),
        )
    return False


def _stop(issue_id: int, *, reason: str, error: str, release: list[int]) -> None:
    """Stop a sending issue after a batch raised: its claimed, unsent deliveries go back to the queue."""
    with transaction.atomic():
        IssueDelivery.objects.filter(pk__in=release, state=DeliveryState.SENDING).update(state=DeliveryState.QUEUED)
        issue = NewsletterIssue.objects.select_for_update().get(pk=issue_id)
        if issue.state == IssueState.SENDING:
            _stop_locked(issue, reason=reason, error=error, now=timezone.now())


def _stop_locked(issue: NewsletterIssue, *, reason: str, error: str, now: datetime) -> None:
    issue.state = IssueState.STOPPED
    issue.stopped_at = now
    issue.stop_reason = reason
    issue.stop_error = (error or "Exception")[:100]
    issue.next_batch_at = None
    issue.save(update_fields=["state", "stopped_at", "stop_reason", "stop_error", "next_batch_at", "outages"])
    audit.record(
        actor=audit.SYSTEM,
        action="newsletter.issue_stopped",
        object_type="newsletter_issue",
        object_id=issue.pk,
        details={"reason": reason, "error": issue.stop_error, **selectors.delivery_counts(issue.pk)},
    )
