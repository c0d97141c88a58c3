"""Newsletter issues: written and edited as drafts, then sent by the worker in batches.

Sending is recorded in two places only: `_record_delivery` writes what happened to one recipient
(sent, skipped, failed with the error's name, or queued again), and `_after_batch` decides what
follows a batch (the next one, now or after back-off) or marks the issue sent.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import conf, mail, rules, selectors, tasks
from hotline.campaigns.errors import InvalidInput, NotAllowed
from hotline.campaigns.models import DeliveryState, IssueDelivery, IssueState, NewsletterIssue, Subscriber
from hotline.campaigns.services._fields import reject_unknown_fields
from hotline.core import audit
from hotline.staff.models import StaffUser

ISSUE_FIELDS = ("subject_sv", "subject_en", "body_sv", "body_en")
SENDING_LEASE = timedelta(minutes=15)


def _check_issue_fields(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    for key in ("subject_sv", "body_sv"):
        if key in fields and not str(fields[key] or "").strip():
            errors[key] = _("This field is required.")
    if bool(str(fields.get("subject_en") or "").strip()) != bool(str(fields.get("body_en") or "").strip()):
        errors["subject_en"] = _("Give the English version both a subject and a text, or neither.")
    if errors:
        raise InvalidInput(errors)


def create_issue(*, actor: StaffUser, **fields: Any) -> NewsletterIssue:
    reject_unknown_fields(fields, ISSUE_FIELDS, "issue")
    _check_issue_fields(fields)
    with transaction.atomic():
        issue = NewsletterIssue.objects.create(created_by=actor, **fields)
        audit.record(actor=actor, action="newsletter.issue_created", object_type="newsletter_issue", object_id=issue.pk)
    return issue


def update_issue(*, issue: NewsletterIssue, actor: StaffUser, **fields: Any) -> NewsletterIssue:
    reject_unknown_fields(fields, ISSUE_FIELDS, "issue")
    with transaction.atomic():
        locked = NewsletterIssue.objects.select_for_update().get(pk=issue.pk)
        if locked.state != IssueState.DRAFT:
            raise NotAllowed(_("An issue that has been sent cannot be changed."))
        merged = {k: getattr(locked, k) for k in ISSUE_FIELDS} | fields
        _check_issue_fields(merged)
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save()
        audit.record(
            actor=actor, action="newsletter.issue_updated", object_type="newsletter_issue", object_id=locked.pk
        )
    return locked


def send_issue(*, issue: NewsletterIssue, actor: StaffUser) -> NewsletterIssue:
    """Freeze the recipient list (confirmed, subscribed now) and start sending in batches from the worker."""
    with transaction.atomic():
        locked = NewsletterIssue.objects.select_for_update().get(pk=issue.pk)
        if locked.state != IssueState.DRAFT:
            raise NotAllowed(_("This issue has already been sent."))
        recipients = list(
            Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True).values_list(
                "pk", flat=True
            )
        )
        IssueDelivery.objects.bulk_create(
            [IssueDelivery(issue=locked, subscriber_id=pk) for pk in recipients], batch_size=1000, ignore_conflicts=True
        )
        locked.state = IssueState.SENDING
        locked.send_started_at = timezone.now()
        locked.recipients = len(recipients)
        locked.save(update_fields=["state", "send_started_at", "recipients"])
        tasks.send_issue_batch.enqueue(locked.pk, 1)
        audit.record(
            actor=actor,
            action="newsletter.issue_sending",
            object_type="newsletter_issue",
            object_id=locked.pk,
            details={"recipients": len(recipients)},
        )
    return locked


@dataclass(frozen=True)
class BatchResult:
    sent: int
    skipped: int
    failed: int
    remaining: int
    smtp_down: bool


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
    smtp_down = False
    deliveries = IssueDelivery.objects.filter(pk__in=ids).select_related("subscriber").order_by("pk")
    connection = get_connection(fail_silently=False)
    try:
        for delivery in deliveries:
            outcome = _Outcome(DeliveryState.QUEUED) if smtp_down else _send_one(connection, issue, delivery)
            _record_delivery(delivery.pk, outcome)
            tally[outcome.state] += 1
            if outcome.smtp_down:
                smtp_down = True
                with contextlib.suppress(Exception):  # the connection is broken already
                    connection.close()
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    remaining = IssueDelivery.objects.filter(
        issue_id=issue_id, state__in=[DeliveryState.QUEUED, DeliveryState.SENDING]
    ).count()
    _after_batch(issue_id=issue_id, remaining=remaining, smtp_down=smtp_down)
    return BatchResult(
        tally[DeliveryState.SENT], tally[DeliveryState.SKIPPED], tally[DeliveryState.FAILED], remaining, smtp_down
    )


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
    subscriber = delivery.subscriber
    if not subscriber.is_active:
        return _Outcome(DeliveryState.SKIPPED)
    try:
        connection.send_messages([mail.issue_message(issue, subscriber)])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        # This address is refused for good: record it and go on with the others.
        return _Outcome(DeliveryState.FAILED, type(exc).__name__)
    except (smtplib.SMTPException, OSError) as exc:
        final = delivery.attempts >= conf.mail_max_attempts()
        return _Outcome(DeliveryState.FAILED if final else DeliveryState.QUEUED, type(exc).__name__, smtp_down=True)
    return _Outcome(DeliveryState.SENT)


def _record_delivery(delivery_id: int, outcome: _Outcome) -> None:
    """Write one delivery's result at once (autocommit), so the issue page shows progress while sending."""
    fields: dict[str, Any] = {"state": outcome.state}
    if outcome.state == DeliveryState.SENT:
        fields.update(sent_at=timezone.now(), error="")
    elif outcome.error:
        fields["error"] = outcome.error
    IssueDelivery.objects.filter(pk=delivery_id).update(**fields)


def _after_batch(*, issue_id: int, remaining: int, smtp_down: bool) -> None:
    with transaction.atomic():
        issue = NewsletterIssue.objects.select_for_update().get(pk=issue_id)
        if issue.state != IssueState.SENDING:
            return
        if remaining:
            if smtp_down:
                attempt = _issue_retry_attempt(issue_id)
                tasks.send_issue_batch.using(run_after=timezone.now() + rules.mail_backoff(attempt)).enqueue(
                    issue_id, attempt + 1
                )
            else:
                tasks.send_issue_batch.enqueue(issue_id, 1)
            return
        issue.state = IssueState.SENT
        issue.sent_at = timezone.now()
        issue.save(update_fields=["state", "sent_at"])
        audit.record(
            actor=audit.SYSTEM,
            action="newsletter.issue_sent",
            object_type="newsletter_issue",
            object_id=issue_id,
            details=selectors.delivery_counts(issue_id),
        )


def _issue_retry_attempt(issue_id: int) -> int:
    top = IssueDelivery.objects.filter(issue_id=issue_id, state=DeliveryState.QUEUED).order_by("-attempts").first()
    return top.attempts if top else 1
