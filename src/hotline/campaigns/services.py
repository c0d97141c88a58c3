"""Every write of the campaigns app: petitions, signatures, invalidation, exports, retention, newsletter.

Each service validates, writes in one transaction, records an audit entry (ids and facts only) and
enqueues its mail or export task in the same transaction. Tasks call back into the `run_*` and
`deliver_*` functions here, which are idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hotline.campaigns import conf, places, rules, tasks
from hotline.campaigns.errors import (
    InvalidInput,
    LinkUsed,
    NotAllowed,
    PetitionNotOpen,
)
from hotline.campaigns.models import (
    DeliveryState,
    ExportKind,
    ExportState,
    IssueDelivery,
    IssueState,
    NewsletterIssue,
    Petition,
    PetitionExport,
    PetitionState,
    Signature,
    SignatureInvalidation,
    SignatureState,
    Subscriber,
)
from hotline.campaigns.selectors import PendingSignature, signature_for_token, subscriber_for_token
from hotline.core import audit
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.staff.models import StaffUser

logger = logging.getLogger("hotline.campaigns")

MAX_NAME = 100
MAX_EMAIL = 254
LANGUAGES = ("sv", "en")


# --- input ----------------------------------------------------------------------------------
_email_validator = EmailValidator()


def clean_email(value: str) -> str:
    """A syntactically valid address (as typed, trimmed) or InvalidInput."""
    email = (value or "").strip()
    try:
        if not email or len(email) > MAX_EMAIL:
            raise ValidationError("bad length")
        _email_validator(email)
        rules.normalise_email(email)
    except (ValidationError, rules.InvalidEmail):
        raise InvalidInput({"email": _("Enter a valid email address, like name@example.com.")}) from None
    return email


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


def _language(value: str) -> str:
    return value if value in LANGUAGES else "sv"


# --- petitions (staff) ---------------------------------------------------------------------
PETITION_TEXT_FIELDS = ("title_sv", "title_en", "text_sv", "text_en", "recipient_sv", "recipient_en")
PETITION_FIELDS = (*PETITION_TEXT_FIELDS, "slug", "goal", "deadline")
RESERVED_SLUGS = frozenset({"confirm", "new", "thanks", "confirmed"})


def _check_petition_fields(fields: dict[str, Any], *, petition: Petition | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = dict(fields)
    for key in ("title_sv", "text_sv", "recipient_sv"):
        if key in cleaned and not str(cleaned[key] or "").strip():
            errors[key] = _("This field is required.")
    if "slug" in cleaned:
        slug = slugify(cleaned["slug"] or cleaned.get("title_sv") or "")
        if not slug:
            errors["slug"] = _("Enter a web address made of letters, digits and hyphens.")
        elif slug in RESERVED_SLUGS:
            errors["slug"] = _("This web address is reserved; choose another.")
        elif Petition.objects.filter(slug=slug).exclude(pk=petition.pk if petition else 0).exists():
            errors["slug"] = _("Another petition already has this web address.")
        cleaned["slug"] = slug
    if "goal" in cleaned and (cleaned["goal"] is None or int(cleaned["goal"]) < 1):
        errors["goal"] = _("The goal must be at least 1 signature.")
    deadline = cleaned.get("deadline")
    if deadline is not None and deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _reject_unknown_fields(fields: dict[str, Any], allowed: Any, what: str) -> None:
    """A caller passing a field the service does not edit is a programming error, not a user's."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {what} fields: {sorted(unknown)}")


def create_petition(*, actor: StaffUser | str, **fields: Any) -> Petition:
    """A new petition in draft. `fields`: title_sv/en, text_sv/en, recipient_sv/en, slug, goal, deadline."""
    _reject_unknown_fields(fields, PETITION_FIELDS, "petition")
    cleaned = _check_petition_fields({"slug": "", **fields}, petition=None)
    with transaction.atomic():
        petition = Petition.objects.create(created_by=actor if isinstance(actor, StaffUser) else None, **cleaned)
        audit.record(actor=actor, action="petition.created", object_type="petition", object_id=petition.pk)
    return petition


def update_petition(*, petition: Petition, actor: StaffUser, **fields: Any) -> Petition:
    """Edit a petition. Once open, the text people signed is locked: only goal and deadline change."""
    _reject_unknown_fields(fields, PETITION_FIELDS, "petition")
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state == PetitionState.CLOSED:
            raise NotAllowed(_("A closed petition cannot be changed."))
        changed = {k: v for k, v in fields.items() if getattr(locked, k) != v}
        if locked.state == PetitionState.OPEN:
            locked_fields = set(changed) & {*PETITION_TEXT_FIELDS, "slug"}
            if locked_fields:
                raise NotAllowed(_("The text of an open petition cannot change: people have signed it."))
        cleaned = _check_petition_fields(changed, petition=locked)
        for key, value in cleaned.items():
            setattr(locked, key, value)
        locked.save()
        audit.record(
            actor=actor,
            action="petition.updated",
            object_type="petition",
            object_id=locked.pk,
            details={"fields": sorted(cleaned)},
        )
    return locked


def open_petition(*, petition: Petition, actor: StaffUser | str) -> Petition:
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state != PetitionState.DRAFT:
            raise NotAllowed(_("Only a draft can be opened."))
        if locked.deadline is not None and locked.deadline <= timezone.now():
            raise NotAllowed(_("The deadline has passed: move it before opening."))
        locked.state = PetitionState.OPEN
        locked.opened_at = timezone.now()
        locked.save(update_fields=["state", "opened_at", "updated_at"])
        audit.record(actor=actor, action="petition.opened", object_type="petition", object_id=locked.pk)
    return locked


def close_petition(*, petition: Petition, actor: StaffUser | str, reason: str = "manual") -> Petition:
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state != PetitionState.OPEN:
            raise NotAllowed(_("Only an open petition can be closed."))
        locked.state = PetitionState.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "closed_at", "updated_at"])
        audit.record(
            actor=actor,
            action="petition.closed",
            object_type="petition",
            object_id=locked.pk,
            details={"reason": reason, "signatures": locked.signature_count},
        )
    return locked


def close_petitions_past_deadline(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    closed = []
    for petition in Petition.objects.filter(state=PetitionState.OPEN, deadline__lte=now):
        try:
            close_petition(petition=petition, actor=audit.SYSTEM, reason="deadline")
        except NotAllowed:
            continue
        closed.append(petition.pk)
    return closed


# --- signing (public) ----------------------------------------------------------------------
class SignOutcome(Enum):
    NEW = "new"  # pending signature created, confirmation mail queued
    RESENT = "resent"  # still pending: the confirmation link is mailed again
    ALREADY = "already"  # confirmed (or invalidated): the owner is told they already signed
    QUIET = "quiet"  # a repeat within HOTLINE_CAMPAIGN_REPEAT_MAIL_MINUTES: no further mail


def signature_email_index(email: str) -> str:
    return blind_index(rules.normalise_email(email), purpose=IndexPurpose.SIGNATURE_EMAIL)


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
                        language=_language(language),
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
            _start_subscription(email=email, language=signature.language, source=f"petition:{signature.petition_id}")
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


# --- anti-abuse (staff) ----------------------------------------------------------------------
def invalidate_signatures(
    *,
    petition: Petition,
    actor: StaffUser,
    domain: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    reason: str = "",
) -> SignatureInvalidation:
    """Invalidate every signature of `petition` at `domain` and/or made in [window_start, window_end).

    Invalidated signatures stop counting (the counter drops in the same transaction) and can never
    be confirmed. The audit entry names the campaigner and the numbers, not the people.
    """
    domain = domain.strip().lower()
    if not domain and not (window_start and window_end):
        raise InvalidInput({"domain": _("Choose an email domain or a time window (or both).")})
    if (window_start is None) != (window_end is None) or (window_start and window_end and window_start >= window_end):
        raise InvalidInput({"window_start": _("The time window needs a start before its end.")})
    with transaction.atomic():
        query = Q(petition=petition, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED])
        if domain:
            query &= Q(email_domain=domain)
        if window_start and window_end:
            query &= Q(created_at__gte=window_start, created_at__lt=window_end)
        # Signature rows first (in id order, so two invalidations cannot deadlock), the petition after.
        locked_states = (
            Signature.objects.select_for_update().filter(query).order_by("pk").values_list("state", flat=True)
        )
        confirmed = sum(1 for state in locked_states if state == SignatureState.CONFIRMED)
        now = timezone.now()
        invalidation = SignatureInvalidation.objects.create(
            petition=petition,
            actor=actor,
            at=now,
            domain=domain,
            window_start=window_start,
            window_end=window_end,
            reason=reason.strip()[:500],
        )
        total = Signature.objects.filter(query).update(
            state=SignatureState.INVALIDATED, invalidated_at=now, invalidation=invalidation
        )
        SignatureInvalidation.objects.filter(pk=invalidation.pk).update(
            signatures_invalidated=total, confirmed_invalidated=confirmed
        )
        if confirmed:
            Petition.objects.filter(pk=petition.pk).update(signature_count=F("signature_count") - confirmed)
        audit.record(
            actor=actor,
            action="petition.signatures_invalidated",
            object_type="petition",
            object_id=petition.pk,
            details={
                "invalidation": invalidation.pk,
                "domain": domain,
                "window_start": window_start.isoformat() if window_start else None,
                "window_end": window_end.isoformat() if window_end else None,
                "signatures": total,
                "confirmed": confirmed,
            },
        )
    invalidation.refresh_from_db()
    return invalidation


# --- hand-over exports -----------------------------------------------------------------------
def request_export(*, petition: Petition, kind: str, actor: StaffUser | str, language: str = "sv") -> PetitionExport:
    if kind not in ExportKind.values:
        raise InvalidInput({"kind": _("Choose PDF or CSV.")})
    with transaction.atomic():
        export = PetitionExport.objects.create(
            petition=petition,
            kind=kind,
            requested_by=actor if isinstance(actor, StaffUser) else None,
            language=_language(language),
        )
        export.file_name = f"petition-{petition.pk}-export-{export.pk}-{secrets.token_hex(8)}.{kind}"
        export.save(update_fields=["file_name"])
        tasks.build_petition_export.enqueue(export.pk)
        audit.record(
            actor=actor,
            action="petition.export_requested",
            object_type="petition_export",
            object_id=export.pk,
            details={"petition": petition.pk, "kind": kind},
        )
    return export


def run_export(*, export_id: int) -> PetitionExport | None:
    """Make the export file (task body). Idempotent: a finished export is left alone, a crashed one redone."""
    from hotline.campaigns import exports

    with transaction.atomic():
        export = PetitionExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.state in (ExportState.DONE, ExportState.DELETED):
            return export
        export.state = ExportState.RUNNING
        export.started_at = timezone.now()
        export.progress = 0
        export.save(update_fields=["state", "started_at", "progress"])
    try:
        result = exports.build(export)
    except Exception as exc:
        logger.error("Petition export %s failed (%s).", export_id, type(exc).__name__)  # never names or emails
        with transaction.atomic():
            PetitionExport.objects.filter(pk=export_id).update(
                state=ExportState.FAILED, error=type(exc).__name__[:500], finished_at=timezone.now()
            )
            audit.record(
                actor=audit.SYSTEM,
                action="petition.export_failed",
                object_type="petition_export",
                object_id=export_id,
                details={"error": type(exc).__name__},
            )
        return PetitionExport.objects.get(pk=export_id)
    with transaction.atomic():
        PetitionExport.objects.filter(pk=export_id).update(
            state=ExportState.DONE,
            progress=100,
            rows=result.rows,
            signature_count=result.rows,
            size=result.size,
            finished_at=timezone.now(),
        )
        audit.record(
            actor=audit.SYSTEM,
            action="petition.export_built",
            object_type="petition_export",
            object_id=export_id,
            details={"petition": export.petition_id, "kind": export.kind, "rows": result.rows},
        )
    return PetitionExport.objects.get(pk=export_id)


def record_export_download(*, export: PetitionExport, actor: StaffUser) -> None:
    """Audit that a campaigner took a copy of the signers' names."""
    if export.state != ExportState.DONE:
        raise NotAllowed(_("This export is not ready."))
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="petition.export_downloaded",
            object_type="petition_export",
            object_id=export.pk,
            details={"petition": export.petition_id, "kind": export.kind, "rows": export.rows},
        )


def delete_export(*, export: PetitionExport, actor: StaffUser | str) -> None:
    from hotline.campaigns import exports

    with transaction.atomic():
        PetitionExport.objects.filter(pk=export.pk).update(state=ExportState.DELETED, progress=0)
        audit.record(
            actor=actor,
            action="petition.export_deleted",
            object_type="petition_export",
            object_id=export.pk,
            details={"petition": export.petition_id},
        )
        transaction.on_commit(lambda: exports.remove_file(export))


def delete_old_exports(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    old = PetitionExport.objects.filter(requested_at__lte=now - timedelta(days=conf.export_days())).exclude(
        state=ExportState.DELETED
    )
    count = 0
    for export in old:
        delete_export(export=export, actor=audit.SYSTEM)
        count += 1
    return count


# --- retention ---------------------------------------------------------------------------
def erase_petition_personal_data(*, petition: Petition, actor: StaffUser | str) -> int:
    """Erase signers' names and emails; keep each signature's municipality/country, state and times.

    Pending signatures (never counted) are deleted outright; export files go too. Returns the
    number of signatures blanked.
    """

    with transaction.atomic():
        if Petition.objects.get(pk=petition.pk).state != PetitionState.CLOSED:  # closed is final: no lock needed
            raise NotAllowed(_("Only a closed petition's signers can be erased."))
        # Signature rows before the petition row: the lock order confirm_signature uses.
        deleted_pending, _unused = Signature.objects.filter(
            petition_id=petition.pk, state=SignatureState.PENDING
        ).delete()
        blanked = Signature.objects.filter(petition_id=petition.pk).update(  # nosec B106  # erases a token salt, no password
            name="", email="", email_index="", email_domain="", token_salt="", keep_informed=False
        )
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        export_rows = list(PetitionExport.objects.filter(petition=locked).exclude(state=ExportState.DELETED))
        PetitionExport.objects.filter(pk__in=[e.pk for e in export_rows]).update(state=ExportState.DELETED)
        locked.personal_data_erased_at = timezone.now()
        locked.save(update_fields=["personal_data_erased_at", "updated_at"])
        audit.record(
            actor=actor,
            action="petition.personal_data_erased",
            object_type="petition",
            object_id=locked.pk,
            details={"signatures_blanked": blanked, "pending_deleted": deleted_pending, "exports": len(export_rows)},
        )
        transaction.on_commit(lambda: _remove_files(export_rows))
    return blanked


def _remove_files(rows: list[PetitionExport]) -> None:
    from hotline.campaigns import exports

    for export in rows:
        exports.remove_file(export)


def erase_due_petitions(*, now: datetime | None = None) -> list[int]:
    """Periodic: petitions closed at least HOTLINE_PETITION_RETENTION_MONTHS ago lose their signers' data."""
    now = now or timezone.now()
    erased = []
    months = conf.retention_months()
    candidates = Petition.objects.filter(state=PetitionState.CLOSED, personal_data_erased_at__isnull=True)
    for petition in candidates.exclude(closed_at__isnull=True):
        assert petition.closed_at is not None
        if rules.add_months(petition.closed_at, months) <= now:
            erase_petition_personal_data(petition=petition, actor=audit.SYSTEM)
            erased.append(petition.pk)
    return erased


def delete_stale_pending_signatures(*, now: datetime | None = None) -> int:
    """Periodic: unconfirmed signatures older than HOTLINE_PETITION_PENDING_DAYS are deleted (never counted)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.pending_signature_days())
    with transaction.atomic():
        deleted, _unused = Signature.objects.filter(state=SignatureState.PENDING, created_at__lt=cutoff).delete()
        if deleted:
            audit.record(
                actor=audit.SYSTEM,
                action="petition.pending_signatures_deleted",
                object_type="signature",
                details={"deleted": deleted, "older_than_days": conf.pending_signature_days()},
            )
    return deleted


# --- newsletter ------------------------------------------------------------------------------
class SubscribeOutcome(Enum):
    NEW = "new"
    RESENT = "resent"
    ALREADY = "already"
    QUIET = "quiet"


def subscriber_email_index(email: str) -> str:
    return blind_index(rules.normalise_email(email), purpose=IndexPurpose.SUBSCRIBER_EMAIL)


def subscribe(*, email: str, language: str = "sv", source: str = "form") -> SubscribeOutcome:
    """Start a double opt-in (or re-send it). The caller shows the same page whatever happened."""
    email = clean_email(email)
    with transaction.atomic():
        return _start_subscription(email=email, language=language, source=source)


def _start_subscription(*, email: str, language: str, source: str) -> SubscribeOutcome:
    index = subscriber_email_index(email)
    now = timezone.now()
    language = _language(language)
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
    if language not in LANGUAGES:
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
                "language": _language(language),
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


def delete_unconfirmed_subscribers(*, now: datetime | None = None) -> int:
    """Periodic: sign-ups never confirmed within HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS (30) are deleted."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted, _unused = Subscriber.objects.filter(
            confirmed_at__isnull=True, created_at__lt=now - timedelta(days=conf.unconfirmed_subscriber_days())
        ).delete()
        stale = Subscriber.objects.filter(
            unsubscribed_at__lt=now - timedelta(days=conf.unsubscribed_subscriber_days())
        ).delete()[0]
        if deleted or stale:
            audit.record(
                actor=audit.SYSTEM,
                action="newsletter.stale_subscribers_deleted",
                object_type="subscriber",
                details={"unconfirmed": deleted, "unsubscribed_rows": stale},
            )
    return deleted


def record_subscriber_export(*, actor: StaffUser, rows: int) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor, action="newsletter.subscribers_exported", object_type="subscriber", details={"rows": rows}
        )


ISSUE_FIELDS = ("subject_sv", "subject_en", "body_sv", "body_en")


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
    _reject_unknown_fields(fields, ISSUE_FIELDS, "issue")
    _check_issue_fields(fields)
    with transaction.atomic():
        issue = NewsletterIssue.objects.create(created_by=actor, **fields)
        audit.record(actor=actor, action="newsletter.issue_created", object_type="newsletter_issue", object_id=issue.pk)
    return issue


def update_issue(*, issue: NewsletterIssue, actor: StaffUser, **fields: Any) -> NewsletterIssue:
    _reject_unknown_fields(fields, ISSUE_FIELDS, "issue")
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


SENDING_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class BatchResult:
    sent: int
    skipped: int
    failed: int
    remaining: int
    smtp_down: bool


def run_issue_batch(*, issue_id: int, batch_size: int | None = None) -> BatchResult:
    """Send the next batch of one issue (task body). Idempotent: every delivery row is claimed,
    and a row marked sent is never sent again; rows claimed by a worker that died are retried
    after SENDING_LEASE (so at most the one mail in flight at a crash can go out twice)."""
    from django.core.mail import get_connection

    from hotline.campaigns import mail

    batch_size = batch_size or conf.newsletter_batch_size()
    now = timezone.now()
    issue = NewsletterIssue.objects.filter(pk=issue_id).first()
    if issue is None or issue.state != IssueState.SENDING:
        return BatchResult(0, 0, 0, 0, False)
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
    sent = skipped = failed = 0
    smtp_down = False
    deliveries = IssueDelivery.objects.filter(pk__in=ids).select_related("subscriber").order_by("pk")
    connection = get_connection(fail_silently=False)
    try:
        for delivery in deliveries:
            subscriber = delivery.subscriber
            if smtp_down:
                IssueDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.QUEUED)
                continue
            if not subscriber.is_active:
                IssueDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.SKIPPED)
                skipped += 1
                continue
            try:
                connection.send_messages([mail.issue_message(issue, subscriber)])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
                # This address is refused for good: record it and go on with the others.
                IssueDelivery.objects.filter(pk=delivery.pk).update(
                    state=DeliveryState.FAILED, error=type(exc).__name__
                )
                failed += 1
            except (smtplib.SMTPException, OSError) as exc:
                smtp_down = True
                next_state = (
                    DeliveryState.FAILED if delivery.attempts >= conf.mail_max_attempts() else DeliveryState.QUEUED
                )
                IssueDelivery.objects.filter(pk=delivery.pk).update(state=next_state, error=type(exc).__name__)
                failed += next_state == DeliveryState.FAILED
                with contextlib.suppress(Exception):  # the connection is broken already
                    connection.close()
            else:
                IssueDelivery.objects.filter(pk=delivery.pk).update(
                    state=DeliveryState.SENT, sent_at=timezone.now(), error=""
                )
                sent += 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    remaining = IssueDelivery.objects.filter(
        issue_id=issue_id, state__in=[DeliveryState.QUEUED, DeliveryState.SENDING]
    ).count()
    _after_batch(issue_id=issue_id, remaining=remaining, smtp_down=smtp_down, sent=sent)
    return BatchResult(sent, skipped, failed, remaining, smtp_down)


def _after_batch(*, issue_id: int, remaining: int, smtp_down: bool, sent: int) -> None:
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
        counts = issue_delivery_counts(issue_id)
        audit.record(
            actor=audit.SYSTEM,
            action="newsletter.issue_sent",
            object_type="newsletter_issue",
            object_id=issue_id,
            details=counts,
        )


def _issue_retry_attempt(issue_id: int) -> int:
    top = IssueDelivery.objects.filter(issue_id=issue_id, state=DeliveryState.QUEUED).order_by("-attempts").first()
    return top.attempts if top else 1


def issue_delivery_counts(issue_id: int) -> dict[str, int]:
    from django.db.models import Count

    rows = IssueDelivery.objects.filter(issue_id=issue_id).values("state").annotate(n=Count("pk"))
    counts = dict.fromkeys(DeliveryState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


# --- mail delivery (task bodies) -------------------------------------------------------------
def deliver_signature_mail(*, signature_id: int, kind: str, attempt: int) -> str:
    """Hand one signature mail to SMTP; on failure, queue another try later. Returns what happened."""
    from hotline.campaigns import mail, tasks

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
    from hotline.campaigns import mail, tasks

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.unsubscribed_at is not None:
        return "gone"
    if kind == "confirm" and subscriber.confirmed_at is not None:
        return "not-needed"
    message = mail.subscriber_confirmation(subscriber) if kind == "confirm" else mail.subscriber_already(subscriber)

    def retry(when: datetime) -> None:
        tasks.send_subscriber_mail.using(run_after=when).enqueue(subscriber_id, kind, attempt + 1)

    return _send_with_retry(message, attempt=attempt, retry=retry, give_up=lambda: None)


def _send_with_retry(message: Any, *, attempt: int, retry: Any, give_up: Any) -> str:
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
