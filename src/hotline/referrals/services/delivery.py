"""Delivering a referral: the worker's send (claim, message, SMTP, result: services.attempts records each side),
a failed delivery retried by staff, and the safety net that re-enqueues what was lost.

SMTP runs outside any database transaction (a slow mail server must not hold the SQLite write lock); the
claim (short transaction before) and the result (short transaction after) make it safe to run the task twice.
"""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import datetime

from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.referrals import hooks, notices, selectors
from hotline.referrals.errors import ReferralError
from hotline.referrals.models import FINAL_STATES, DeliveryChannel, Referral, ReferralState, Target
from hotline.referrals.services._common import clean_email, enqueue_delivery, lock_referral, staff_action
from hotline.referrals.services.attempts import claim_delivery, record_delivery_failure, record_delivery_success
from hotline.referrals.services.police_package import ensure_police_package, package_content
from hotline.referrals.tasks import deliver_referral, send_escalation_email
from hotline.staff.models import StaffUser

logger = logging.getLogger("hotline.referrals")


def deliver(referral_id: int, *, connection: BaseEmailBackend | None = None) -> str:
    """Run one due delivery of a referral (the worker's entry point). Returns what happened: "nothing",
    "sent" or "failed"."""
    claim = claim_delivery(referral_id=referral_id)
    if claim is None:
        return "nothing"
    started = time.monotonic()
    xarf_id = ""
    try:
        referral = Referral.objects.select_related("case", "partner").get(pk=referral_id)
        if referral.target == Target.POLICE:
            referral = ensure_police_package(referral)
            if referral.channel == DeliveryChannel.DOWNLOAD:
                record_delivery_success(claim=claim, duration_ms=_ms(started))
                return "sent"
        message, xarf_id = _build_message(referral, notice_number=claim.notice_number)
    except Exception as exc:  # building must never fail silently: record it as a failed attempt
        # Class name only in the log: exception texts can carry the reported URL.
        logger.error("Could not build the message of referral %s (%s).", referral_id, exc.__class__.__name__)
        detail = f": {exc}" if isinstance(exc, notices.XarfError) else ""
        record_delivery_failure(
            claim=claim,
            error=f"Could not build the message ({exc.__class__.__name__}{detail})",
            duration_ms=_ms(started),
        )
        return "failed"
    try:
        message.connection = connection or get_connection(fail_silently=False)
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors, refused connections, timeouts, TLS failures
        error, code = describe_error(exc)
        record_delivery_failure(claim=claim, error=error, smtp_code=code, duration_ms=_ms(started))
        return "failed"
    record_delivery_success(
        claim=claim, message_id=str(message.extra_headers.get("Message-ID", "")), duration_ms=_ms(started),
        xarf_report_id=xarf_id,
    )  # fmt: skip
    return "sent"


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _build_message(referral: Referral, *, notice_number: int) -> tuple[EmailMessage, str]:
    snapshot = selectors.referral_snapshot(referral=referral, notice_number=notice_number)
    if referral.target == Target.HOST_NOTICE:
        report = notices.build_xarf(snapshot)
        return notices.notice_to_host(snapshot, xarf_report=report), str(report.get("report_id", ""))
    if referral.target == Target.PARTNER_HOTLINE:
        partner_report = notices.build_xarf(snapshot) if snapshot.canonical_url else None
        report_id = str((partner_report or {}).get("report_id", ""))
        return notices.partner_referral(snapshot, xarf_report=partner_report), report_id
    content = package_content(referral)
    return notices.police_referral(snapshot, package=content, sha256=referral.package_sha256), ""


def describe_error(exc: BaseException) -> tuple[str, int | None]:
    """A short error text for staff and the SMTP code when there is one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _msg in exc.recipients.values()})
        return f"Recipient refused by the mail server (SMTP {', '.join(map(str, codes))})", (
            codes[0] if codes else None
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}".strip()[:500], int(exc.smtp_code)
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500], None


def retry_delivery(*, referral_id: int, actor: StaffUser, recipient_email: str = "") -> Referral:
    """Try a failed delivery again now, optionally to a corrected address."""
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.state != ReferralState.FAILED:
            raise ReferralError(_("Only a failed delivery can be retried."))
        changed = False
        if recipient_email.strip():
            if referral.channel != DeliveryChannel.EMAIL:
                raise ReferralError(_("This referral is not sent by email."))
            new_address = clean_email(recipient_email)
            changed = new_address != referral.recipient_email
            referral.recipient_email = new_address
        now = staff_action(
            referral=referral,
            actor=actor,
            action="retry",
            to_state=None,
            details={"address_changed": changed},
        )
        referral.failures = 0
        if referral.channel == DeliveryChannel.NETWORK:
            # The network outbox owns the message's schedule: it is told to try again now.
            referral.save()
            hooks.referral_progressed.send(sender=Referral, referral=referral, action="retry", at=now)
        else:
            referral.next_attempt_at = now
            referral.save()
            enqueue_delivery(referral.pk)
    return referral


def enqueue_due_deliveries(*, now: datetime | None = None) -> int:
    """Safety net: enqueue deliveries that are due but whose task was lost, and unsent escalation emails."""
    ids = selectors.due_referral_ids(now=now or timezone.now())
    for referral_id in ids:
        deliver_referral.enqueue(referral_id)
    pending_mail = list(
        Referral.objects.filter(escalated_at__isnull=False, escalation_mailed_at__isnull=True)
        .exclude(state__in=list(FINAL_STATES))
        .values_list("pk", flat=True)[:100]
    )
    for referral_id in pending_mail:
        send_escalation_email.enqueue(referral_id)
    return len(ids) + len(pending_mail)
