"""Newsletter issues, the campaigner's side: written and edited as drafts, sent (the recipient list frozen),
and resumed when sending stopped or stalled. The worker's batches are services/issue_sending.py's."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import rules, selectors, tasks
from hotline.campaigns.errors import InvalidInput, NotAllowed
from hotline.campaigns.models import IssueDelivery, IssueState, NewsletterIssue, Subscriber
from hotline.campaigns.services._fields import reject_unknown_fields
from hotline.core import audit
from hotline.staff.models import StaffUser

ISSUE_FIELDS = ("subject_sv", "subject_en", "body_sv", "body_en")


def _check_issue_fields(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    for key in ("subject_sv", "body_sv"):
        if key in fields and not str(fields[key] or "").strip():
            errors[key] = _("This field is required.")
    for key in ("subject_sv", "subject_en"):
        # A line break would end the mail's Subject header: every delivery would fail (BadHeaderError).
        if key not in errors and not rules.is_one_line(str(fields.get(key) or "")):
            errors[key] = _("The subject must be one line: remove line breaks, tabs and other control characters.")
    if bool(str(fields.get("subject_en") or "").strip()) != bool(str(fields.get("body_en") or "").strip()):
        errors.setdefault("subject_en", _("Give the English version both a subject and a text, or neither."))
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
    """Change a draft, or a stopped issue that nobody has received yet (to correct what stopped it)."""
    reject_unknown_fields(fields, ISSUE_FIELDS, "issue")
    with transaction.atomic():
        locked = NewsletterIssue.objects.select_for_update().get(pk=issue.pk)
        if not selectors.issue_editable(locked):
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
        now = timezone.now()
        locked.state = IssueState.SENDING
        locked.send_started_at = now
        locked.next_batch_at = now
        locked.recipients = len(recipients)
        locked.save(update_fields=["state", "send_started_at", "next_batch_at", "recipients"])
        tasks.send_issue_batch.enqueue(locked.pk, 1)
        audit.record(
            actor=actor,
            action="newsletter.issue_sending",
            object_type="newsletter_issue",
            object_id=locked.pk,
            details={"recipients": len(recipients)},
        )
    return locked


def resume_issue(*, issue: NewsletterIssue, actor: StaffUser) -> NewsletterIssue:
    """Go on sending a stopped issue, or one whose next batch never ran (stalled): a batch is queued now.

    Safe to repeat: deliveries are claimed one by one, and one marked sent is never sent again."""
    with transaction.atomic():
        locked = NewsletterIssue.objects.select_for_update().get(pk=issue.pk)
        was = "stopped" if locked.state == IssueState.STOPPED else "stalled"
        if locked.state != IssueState.STOPPED and not selectors.issue_stalled(locked):
            raise NotAllowed(_("This issue has not stopped: there is nothing to resume."))
        details = {"from": was, "reason": locked.stop_reason or None, "error": locked.stop_error or None}
        locked.state = IssueState.SENDING
        locked.next_batch_at = timezone.now()
        locked.outages = 0
        locked.stopped_at = None
        locked.stop_reason = ""
        locked.stop_error = ""
        locked.save(update_fields=["state", "next_batch_at", "outages", "stopped_at", "stop_reason", "stop_error"])
        tasks.send_issue_batch.enqueue(locked.pk, 1)
        audit.record(
            actor=actor,
            action="newsletter.issue_resumed",
            object_type="newsletter_issue",
            object_id=locked.pk,
            details=details,
        )
    return locked
