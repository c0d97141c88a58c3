"""The worker's side of a referral: claim what is due, build the message, hand it to SMTP, record the result.

SMTP runs outside any database transaction (a slow mail server must not hold the SQLite write
lock); the claim (short transaction before) and the result (short transaction after) make it
safe to run the task twice.
"""

from __future__ import annotations

import logging
import time

from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from hotline.referrals import conf, notices, selectors, services
from hotline.referrals.models import DeliveryChannel, Referral, Target
from hotline.referrals.package import build_police_package

logger = logging.getLogger("hotline.referrals")


def deliver(referral_id: int, *, connection: BaseEmailBackend | None = None) -> str:
    """Run one due delivery of a referral. Returns what happened: "nothing", "sent" or "failed"."""
    claim = services.claim_delivery(referral_id=referral_id)
    if claim is None:
        return "nothing"
    started = time.monotonic()
    xarf_id = ""
    try:
        referral = Referral.objects.select_related("case", "partner").get(pk=referral_id)
        if referral.target == Target.POLICE:
            referral = _ensure_package(referral)
            if referral.channel == DeliveryChannel.DOWNLOAD:
                services.record_delivery_success(claim=claim, duration_ms=_ms(started))
                return "sent"
        message, xarf_id = _build_message(referral, notice_number=claim.notice_number)
    except Exception as exc:  # building must never fail silently: record it as a failed attempt
        # Class name only in the log: exception texts can carry the reported URL.
        logger.error("Could not build the message of referral %s (%s).", referral_id, exc.__class__.__name__)
        detail = f": {exc}" if isinstance(exc, notices.XarfError) else ""
        services.record_delivery_failure(
            claim=claim,
            error=f"Could not build the message ({exc.__class__.__name__}{detail})",
            duration_ms=_ms(started),
        )
        return "failed"
    try:
        message.connection = connection or get_connection(fail_silently=False)
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors, refused connections, timeouts, TLS failures
        error, code = services.describe_error(exc)
        services.record_delivery_failure(claim=claim, error=error, smtp_code=code, duration_ms=_ms(started))
        return "failed"
    services.record_delivery_success(
        claim=claim, message_id=str(message.extra_headers.get("Message-ID", "")), duration_ms=_ms(started),
        xarf_report_id=xarf_id,
    )  # fmt: skip
    return "sent"


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _ensure_package(referral: Referral) -> Referral:
    if referral.package_sha256:
        return referral
    data = selectors.police_case_data(referral=referral)
    package = build_police_package(
        data, generated_at=timezone.now().isoformat(timespec="seconds"), language=conf.police_language()
    )
    return services.store_police_package(
        referral_id=referral.pk, content=package.content, sha256=package.sha256, files=package.files
    )


def _build_message(referral: Referral, *, notice_number: int) -> tuple[EmailMessage, str]:
    snapshot = selectors.referral_snapshot(referral=referral, notice_number=notice_number)
    if referral.target == Target.HOST_NOTICE:
        report = notices.build_xarf(snapshot)
        return notices.notice_to_host(snapshot, xarf_report=report), str(report.get("report_id", ""))
    if referral.target == Target.PARTNER_HOTLINE:
        partner_report = notices.build_xarf(snapshot) if snapshot.canonical_url else None
        report_id = str((partner_report or {}).get("report_id", ""))
        return notices.partner_referral(snapshot, xarf_report=partner_report), report_id
    content = services.package_content(referral)
    return notices.police_referral(snapshot, package=content, sha256=referral.package_sha256), ""


def send_escalation(referral_id: int, *, connection: BaseEmailBackend | None = None) -> int:
    """Email every active supervisor about an escalated notice, once. Returns the number of emails."""
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is None or referral.escalated_at is None or referral.escalation_mailed_at is not None:
        return 0
    from hotline.staff.models import StaffUser

    supervisors = list(StaffUser.objects.filter(is_active=True, groups__name="supervisor").distinct().order_by("email"))
    messages = [
        notices.escalation(
            to=user.email,
            language=user.language,
            reference=referral.reference,
            case_id=referral.case_id,
            notice_count=referral.notice_count,
            recipient_name=referral.recipient_name,
        )
        for user in supervisors
    ]
    if messages:
        # Raises on SMTP failure: the task fails and is visible; the escalation itself is already
        # recorded and listed on /referrals/escalated/.
        (connection or get_connection(fail_silently=False)).send_messages(messages)
    services.mark_escalation_mailed(referral_id=referral_id, recipients=len(messages))
    return len(messages)
