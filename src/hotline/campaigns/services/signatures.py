"""Signing a petition: the public form (pending until the mailed link confirms it), the repeat that
reveals nothing, confirmation with the counter, and signatures verified outside the form."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import Enum

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import conf, places, rules, tasks
from hotline.campaigns.errors import InvalidInput, LinkUsed, PetitionNotOpen
from hotline.campaigns.models import Petition, Signature, SignatureState
from hotline.campaigns.selectors import PendingSignature, signature_for_token
from hotline.campaigns.services.addresses import clean_email, signature_email_index
from hotline.campaigns.services.subscribers import start_subscription
from hotline.core import audit
from hotline.staff.models import StaffUser

MAX_NAME = 100


class SignOutcome(Enum):
    NEW = "new"  # pending signature created, confirmation mail queued
    RESENT = "resent"  # still pending: the confirmation link is mailed again
    ALREADY = "already"  # confirmed (or invalidated): the owner is told they already signed
    QUIET = "quiet"  # a repeat within HOTLINE_CAMPAIGN_REPEAT_MAIL_MINUTES: no further mail


def clean_signer(*, name: str, email: str, municipality: str, country: str) -> tuple[str, str, str, str]:
    """(name, email, municipality, country) or InvalidInput listing every problem at once."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Enter your name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Your name can be at most %(n)d characters.") % {"n": MAX_NAME}
    try:
        email = clean_email(email)
    except InvalidInput as exc:
        errors.update(exc.errors)
    municipality = (municipality or "").strip()
    country = (country or "").strip().upper()
    if municipality == places.ABROAD:
        municipality = ""
        if country not in places.countries():
            errors["country"] = _("Choose the country you live in.")
    elif municipality in places.municipalities():
        country = ""
    else:
        errors["municipality"] = _("Choose your municipality from the list, or “I live abroad”.")
    if errors:
        raise InvalidInput(errors)
    return name, email, municipality, country


def sign_petition(
    *,
    petition: Petition,
    name: str,
    email: str,
    municipality: str,
    country: str = "",
    keep_informed: bool = False,
    language: str = "sv",
) -> SignOutcome:
    """Record a signature (pending until confirmed) and queue its confirmation mail.

    A repeat by the same person (normalised email) creates nothing: the owner of the address
    gets a mail instead, and the caller shows the same thank-you page either way.
    """
    name, email, municipality, country = clean_signer(
        name=name, email=email, municipality=municipality, country=country
    )
    index = signature_email_index(email)
    now = timezone.now()
    with transaction.atomic():
        current = Petition.objects.get(pk=petition.pk)
        if not current.accepts_signatures(now):
            raise PetitionNotOpen(_("This petition is closed and no longer takes signatures."))
        existing = Signature.objects.select_for_update().filter(petition=current, email_index=index).first()
        if existing is None:
            try:
                with transaction.atomic():
                    signature = Signature.objects.create(
                        petition=current,
                        name=name,
                        email=email,
                        email_index=index,
                        email_domain=rules.email_domain(email),
                        municipality=municipality,
                        country=country,
                        language=rules.supported_language(language),
                        keep_informed=keep_informed,
                        token_salt=secrets.token_urlsafe(12),
                        created_at=now,
                        last_mailed_at=now,
                    )
            except IntegrityError:  # the same person, a moment earlier, in another request
                existing = Signature.objects.select_for_update().get(petition=current, email_index=index)
            else:
                tasks.send_signature_mail.enqueue(signature.pk, "confirm", 1)
                audit.record(
                    actor="public",
                    action="petition.signed",
                    object_type="signature",
                    object_id=signature.pk,
                    details={"petition": current.pk},
                )
                return SignOutcome.NEW
        return _repeat_signature(existing, now=now)


def _repeat_signature(existing: Signature, *, now: datetime) -> SignOutcome:
    recent = existing.last_mailed_at and now - existing.last_mailed_at < timedelta(minutes=conf.repeat_mail_minutes())
    if recent:
        return SignOutcome.QUIET
    kind, outcome = ("confirm", SignOutcome.RESENT)
    if existing.state != SignatureState.PENDING:
        kind, outcome = ("already", SignOutcome.ALREADY)
    Signature.objects.filter(pk=existing.pk).update(last_mailed_at=now)
    tasks.send_signature_mail.enqueue(existing.pk, kind, 1)
    audit.record(
        actor="public",
        action="petition.sign_repeated",
        object_type="signature",
        object_id=existing.pk,
        details={"petition": existing.petition_id, "mail": kind},
    )
    return outcome


def confirm_signature(*, token: str) -> PendingSignature:
    """Confirm the signature behind a mailed link; the petition's counter goes up in the same transaction.

    Signatures made before the petition closed may still be confirmed while their link is valid
    (the postmark rule): a person who signs a minute before closing is not lost.
    """
    signature = signature_for_token(token)
    with transaction.atomic():
        # Lock order everywhere: signature rows, then the petition row (counter), then the audit
        # head. Invalidation and erasure take the same order, so a confirmation racing them waits
        # instead of deadlocking.
        # A conditional update is the single-use check: of two racing clicks exactly one changes a row.
        changed = Signature.objects.filter(pk=signature.pk, state=SignatureState.PENDING).update(
            state=SignatureState.CONFIRMED, confirmed_at=timezone.now()
        )
        if not changed:
            raise LinkUsed(_("This link has already been used: your signature is confirmed and counted."))
        Petition.objects.filter(pk=signature.petition_id).update(signature_count=F("signature_count") + 1)
        audit.record(
            actor="public",
            action="petition.signature_confirmed",
            object_type="signature",
            object_id=signature.pk,
            details={"petition": signature.petition_id},
        )
        if signature.keep_informed:
            email = Signature.objects.values_list("email", flat=True).get(pk=signature.pk)
            start_subscription(email=email, language=signature.language, source=f"petition:{signature.petition_id}")
    return signature


def add_verified_signature(
    *,
    petition: Petition,
    name: str,
    email: str,
    municipality: str,
    country: str = "",
    actor: StaffUser | str,
) -> Signature:
    """A signature whose signer was verified outside the web form (a paper list checked by staff,
    the demo). Counts at once; idempotent by normalised email."""
    name, email, municipality, country = clean_signer(
        name=name, email=email, municipality=municipality, country=country
    )
    index = signature_email_index(email)
    with transaction.atomic():
        existing = Signature.objects.filter(petition=petition, email_index=index).first()
        if existing is not None:
            return existing
        now = timezone.now()
        signature = Signature.objects.create(
            petition=petition,
            name=name,
            email=email,
            email_index=index,
            email_domain=rules.email_domain(email),
            municipality=municipality,
            country=country,
            state=SignatureState.CONFIRMED,
            token_salt=secrets.token_urlsafe(12),
            created_at=now,
            confirmed_at=now,
        )
        Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") + 1)
        audit.record(
            actor=actor,
            action="petition.signature_added_verified",
            object_type="signature",
            object_id=signature.pk,
            details={"petition": petition.pk},
        )
    return signature
