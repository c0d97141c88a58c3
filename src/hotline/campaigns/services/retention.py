"""What campaigns stops keeping, and when: signers' names and emails after a petition closes,
pending signatures never confirmed, newsletter sign-ups never confirmed (and unsubscribed rows),
and old hand-over exports (see docs/data-retention.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import conf, export_files, rules
from hotline.campaigns.errors import NotAllowed
from hotline.campaigns.models import (
    ExportState,
    Petition,
    PetitionExport,
    PetitionState,
    Signature,
    SignatureState,
    Subscriber,
)
from hotline.campaigns.services.exports import delete_export
from hotline.core import audit
from hotline.staff.models import StaffUser


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
    for export in rows:
        export_files.remove_file(export)


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


def delete_unconfirmed_subscribers(*, now: datetime | None = None) -> int:
    """Periodic: sign-ups never confirmed within HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS (30) are deleted,
    and so are rows unsubscribed longer than HOTLINE_NEWSLETTER_UNSUBSCRIBED_DAYS. Returns the first number."""
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


def delete_old_exports(*, now: datetime | None = None) -> int:
    """Periodic: hand-over exports older than HOTLINE_PETITION_EXPORT_DAYS are deleted with their files."""
    now = now or timezone.now()
    old = PetitionExport.objects.filter(requested_at__lte=now - timedelta(days=conf.export_days())).exclude(
        state=ExportState.DELETED
    )
    count = 0
    for export in old:
        delete_export(export=export, actor=audit.SYSTEM)
        count += 1
    return count
