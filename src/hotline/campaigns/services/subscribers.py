"""Newsletter subscribers: double opt-in, confirmation, unsubscribing, preferences, erasure on
request, imports with consent recorded elsewhere, and the audited address export."""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import Enum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import conf, rules, tasks
from hotline.campaigns.errors import InvalidInput, LinkUsed
from hotline.campaigns.models import Subscriber
from hotline.campaigns.selectors import subscriber_for_token
from hotline.campaigns.services.addresses import clean_email, subscriber_email_index
from hotline.core import audit
from hotline.staff.models import StaffUser


class SubscribeOutcome(Enum):
    NEW = "new"
    RESENT = "resent"
    ALREADY = "already"
    QUIET = "quiet"


def subscribe(*, email: str, language: str = "sv", source: str = "form") -> SubscribeOutcome:
    """Start a double opt-in (or re-send it). The caller shows the same page whatever happened."""
    email = clean_email(email)
    with transaction.atomic():
        return start_subscription(email=email, language=language, source=source)


def start_subscription(*, email: str, language: str, source: str) -> SubscribeOutcome:
    """The double opt-in for a cleaned address, inside the caller's transaction (a sign-up form, or a
    confirmed signature that asked to be kept informed)."""
    index = subscriber_email_index(email)
    now = timezone.now()
    language = rules.supported_language(language)
    existing = Subscriber.objects.select_for_update().filter(email_index=index).first()
    if existing is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email,
                    email_index=index,
                    language=language,
                    token=secrets.token_urlsafe(32),
                    source=source[:40],
                    created_at=now,
                    last_mailed_at=now,
                )
        except IntegrityError:
            existing = Subscriber.objects.select_for_update().get(email_index=index)
        else:
            tasks.send_subscriber_mail.enqueue(subscriber.pk, "confirm", 1)
            audit.record(
                actor="public",
                action="newsletter.subscribe_requested",
                object_type="subscriber",
                object_id=subscriber.pk,
                details={"source": source[:40]},
            )
            return SubscribeOutcome.NEW
    recent = existing.last_mailed_at and now - existing.last_mailed_at < timedelta(minutes=conf.repeat_mail_minutes())
    if existing.unsubscribed_at is not None:
        # Coming back after unsubscribing: a fresh double opt-in.
        existing.confirmed_at = None
        existing.unsubscribed_at = None
        existing.created_at = now
        existing.token = secrets.token_urlsafe(32)
        existing.language = language
        recent = False
    if recent:
        return SubscribeOutcome.QUIET
    kind, outcome = (
        ("already", SubscribeOutcome.ALREADY) if existing.is_active else ("confirm", SubscribeOutcome.RESENT)
    )
    existing.last_mailed_at = now
    existing.save()
    tasks.send_subscriber_mail.enqueue(existing.pk, kind, 1)
    audit.record(
        actor="public",
        action="newsletter.subscribe_repeated",
        object_type="subscriber",
        object_id=existing.pk,
        details={"mail": kind},
    )
    return outcome


def confirm_subscriber(*, token: str) -> Subscriber:
    subscriber = subscriber_for_token(token)
    with transaction.atomic():
        updated = Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        if not updated:
            raise LinkUsed(_("This link has already been used: your subscription is confirmed."))
        audit.record(actor="public", action="newsletter.confirmed", object_type="subscriber", object_id=subscriber.pk)
    subscriber.refresh_from_db()
    return subscriber


def unsubscribe(*, subscriber: Subscriber, how: str = "link") -> Subscriber:
    """Stop all mail to this subscriber at once (idempotent). `how`: link, one-click, preferences."""
    with transaction.atomic():
        updated = Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
        if updated:
            audit.record(
                actor="public",
                action="newsletter.unsubscribed",
                object_type="subscriber",
                object_id=subscriber.pk,
                details={"how": how},
            )
    subscriber.refresh_from_db()
    return subscriber


def change_subscriber_language(*, subscriber: Subscriber, language: str) -> Subscriber:
    if language not in rules.LANGUAGES:
        raise InvalidInput({"language": _("Choose Swedish or English.")})
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(language=language)
        audit.record(
            actor="public",
            action="newsletter.preferences_changed",
            object_type="subscriber",
            object_id=subscriber.pk,
            details={"language": language},
        )
    subscriber.refresh_from_db()
    return subscriber


def erase_subscriber(*, subscriber: Subscriber, actor: StaffUser | str = "public") -> None:
    """Delete the subscriber and the record of which issues they got."""
    with transaction.atomic():
        pk = subscriber.pk
        Subscriber.objects.filter(pk=pk).delete()
        audit.record(actor=actor, action="newsletter.subscriber_erased", object_type="subscriber", object_id=pk)


def add_confirmed_subscriber(*, email: str, language: str, actor: StaffUser | str) -> Subscriber:
    """A subscriber whose consent was recorded elsewhere (an import, the demo). Idempotent by address."""
    email = clean_email(email)
    index = subscriber_email_index(email)
    with transaction.atomic():
        subscriber, created = Subscriber.objects.get_or_create(
            email_index=index,
            defaults={
                "email": email,
                "language": rules.supported_language(language),
                "token": secrets.token_urlsafe(32),
                "source": "import",
                "confirmed_at": timezone.now(),
            },
        )
        if created:
            audit.record(
                actor=actor, action="newsletter.subscriber_imported", object_type="subscriber", object_id=subscriber.pk
            )
    return subscriber


def record_subscriber_export(*, actor: StaffUser, rows: int) -> None:
    """Audit that a campaigner took the confirmed subscribers' addresses (the CSV for a mailing tool)."""
    with transaction.atomic():
        audit.record(
            actor=actor, action="newsletter.subscribers_exported", object_type="subscriber", details={"rows": rows}
        )
