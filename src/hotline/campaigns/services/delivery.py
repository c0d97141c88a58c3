"""Confirmation mails handed to SMTP, one per task, with back-off and a final give-up: the task bodies
of `send_signature_mail` and `send_subscriber_mail`. The messages are built by `campaigns.mail`;
newsletter issues are sent in batches by services/issue_sending.py."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from hotline.campaigns import conf, mail, rules, tasks
from hotline.campaigns.models import Signature, SignatureState, Subscriber

logger = logging.getLogger("hotline.campaigns")


def deliver_signature_mail(*, signature_id: int, kind: str, attempt: int) -> str:
    """Hand one signature mail to SMTP; on failure, queue another try later. Returns what happened."""
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    if signature is None or not signature.email:
        return "gone"
    if kind == "confirm" and signature.state != SignatureState.PENDING:
        return "not-needed"
    message = mail.signature_confirmation(signature) if kind == "confirm" else mail.signature_already(signature)

    def retry(when: datetime) -> None:
        tasks.send_signature_mail.using(run_after=when).enqueue(signature_id, kind, attempt + 1)

    def give_up() -> None:
        Signature.objects.filter(pk=signature_id).update(mail_failed_at=timezone.now())

    return _send_with_retry(message, attempt=attempt, retry=retry, give_up=give_up)


def deliver_subscriber_mail(*, subscriber_id: int, kind: str, attempt: int) -> str:
    """Hand one sign-up mail to SMTP; on failure, queue another try later. Returns what happened."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.unsubscribed_at is not None:
        return "gone"
    if kind == "confirm" and subscriber.confirmed_at is not None:
        return "not-needed"
    message = mail.subscriber_confirmation(subscriber) if kind == "confirm" else mail.subscriber_already(subscriber)

    def retry(when: datetime) -> None:
        tasks.send_subscriber_mail.using(run_after=when).enqueue(subscriber_id, kind, attempt + 1)

    return _send_with_retry(message, attempt=attempt, retry=retry, give_up=lambda: None)


def _send_with_retry(
    message: EmailMessage, *, attempt: int, retry: Callable[[datetime], None], give_up: Callable[[], None]
) -> str:
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        if attempt >= conf.mail_max_attempts():
            logger.error("Mail given up after %d attempts (%s).", attempt, type(exc).__name__)
            give_up()
            return "given-up"
        logger.warning("Mail attempt %d failed (%s); trying again later.", attempt, type(exc).__name__)
        with transaction.atomic():
            retry(timezone.now() + rules.mail_backoff(attempt))
        return "retry"
    return "sent"
