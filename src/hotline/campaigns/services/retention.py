"""What campaigns stops keeping, and when: signers' names and emails after a petition closes,
pending signatures never confirmed, newsletter sign-ups never confirmed (and unsubscribed rows),
and old hand-over exports (see docs/data-retention.md). The periodic ones are policies of the retention engine
(hotline.core.retention), registered in CampaignsConfig.ready(); the functions below run one policy now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
from hotline.core.retention import RetentionPolicy, run_policy
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


# --- signers of closed petitions ---------------------------------------------------------------------
def _due_petitions(now: datetime) -> QuerySet[Petition]:
    """Closed petitions whose signers' data has not gone yet, closed at least HOTLINE_PETITION_RETENTION_MONTHS
    calendar months ago (months are not a fixed length: checked per petition, petitions are few)."""
    months = conf.retention_months()
    candidates = Petition.objects.filter(
        state=PetitionState.CLOSED, personal_data_erased_at__isnull=True, closed_at__isnull=False
    )
    closed = candidates.values_list("pk", "closed_at")
    due = [pk for pk, closed_at in closed if closed_at is not None and rules.add_months(closed_at, months) <= now]
    return Petition.objects.filter(pk__in=due)


def _erase_petitions(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    blanked = 0
    ids = list(_due_petitions(now).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
    for petition in Petition.objects.filter(pk__in=ids).order_by("pk"):
        blanked += erase_petition_personal_data(petition=petition, actor=audit.SYSTEM)
    return len(ids), {"petitions": len(ids), "petition_ids": ids, "signatures_blanked": blanked}


PETITION_SIGNERS = RetentionPolicy(
    name="campaigns.petition_signers",
    record_type=gettext_lazy("Petition signers' names and emails"),
    action=gettext_lazy("blanked; municipality, state and times stay (the counts)"),
    setting="HOTLINE_PETITION_RETENTION_MONTHS",
    unit="months",
    period=conf.retention_months,
    due=_due_petitions,
    erase=_erase_petitions,
    audit_action="petition.signers_erased",
    order=50,
)


def erase_due_petitions(*, now: datetime | None = None) -> list[int]:
    """Petitions closed at least HOTLINE_PETITION_RETENTION_MONTHS ago lose their signers' data. Returns their ids."""
    now = now or timezone.now()
    due = list(_due_petitions(now).order_by("pk").values_list("pk", flat=True))
    run_policy(PETITION_SIGNERS, now=now)
    erased = Petition.objects.filter(pk__in=due, personal_data_erased_at__isnull=False)
    return list(erased.order_by("pk").values_list("pk", flat=True))


# --- signatures never confirmed --------------------------------------------------------------------------
def _due_pending(now: datetime) -> QuerySet[Signature]:
    cutoff = now - timedelta(days=conf.pending_signature_days())
    return Signature.objects.filter(state=SignatureState.PENDING, created_at__lt=cutoff)


def _delete_pending(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    deleted, _unused = _due_pending(now).filter(pk__in=candidates).delete()
    return deleted, {"deleted": deleted, "older_than_days": conf.pending_signature_days()}


PENDING_SIGNATURES = RetentionPolicy(
    name="campaigns.pending_signatures",
    record_type=gettext_lazy("Unconfirmed petition signatures"),
    action=gettext_lazy("deleted (never counted)"),
    setting="HOTLINE_PETITION_PENDING_DAYS",
    unit="days",
    period=conf.pending_signature_days,
    due=_due_pending,
    erase=_delete_pending,
    audit_action="petition.pending_signatures_deleted",
    order=51,
)


def delete_stale_pending_signatures(*, now: datetime | None = None) -> int:
    """Unconfirmed signatures older than HOTLINE_PETITION_PENDING_DAYS are deleted (never counted)."""
    return run_policy(PENDING_SIGNATURES, now=now).count


# --- newsletter sign-ups ---------------------------------------------------------------------------------
def _due_unconfirmed(now: datetime) -> QuerySet[Subscriber]:
    cutoff = now - timedelta(days=conf.unconfirmed_subscriber_days())
    return Subscriber.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff)


def _due_unsubscribed(now: datetime) -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(unsubscribed_at__lt=now - timedelta(days=conf.unsubscribed_subscriber_days()))


def _delete_unconfirmed(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    deleted = _due_unconfirmed(now).filter(pk__in=candidates).delete()[1].get(Subscriber._meta.label, 0)
    return deleted, {"unconfirmed": deleted}


def _delete_unsubscribed(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    deleted = _due_unsubscribed(now).filter(pk__in=candidates).delete()[1].get(Subscriber._meta.label, 0)
    return deleted, {"unsubscribed_rows": deleted}


UNCONFIRMED_SUBSCRIBERS = RetentionPolicy(
    name="campaigns.newsletter_unconfirmed",
    record_type=gettext_lazy("Newsletter sign-ups never confirmed"),
    action=gettext_lazy("deleted"),
    setting="HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS",
    unit="days",
    period=conf.unconfirmed_subscriber_days,
    due=_due_unconfirmed,
    erase=_delete_unconfirmed,
    audit_action="newsletter.stale_subscribers_deleted",
    order=52,
)
UNSUBSCRIBED_SUBSCRIBERS = RetentionPolicy(
    name="campaigns.newsletter_unsubscribed",
    record_type=gettext_lazy("Newsletter subscribers who unsubscribed"),
    action=gettext_lazy("deleted with their delivery rows"),
    setting="HOTLINE_NEWSLETTER_UNSUBSCRIBED_DAYS",
    unit="days",
    period=conf.unsubscribed_subscriber_days,
    due=_due_unsubscribed,
    erase=_delete_unsubscribed,
    audit_action="newsletter.stale_subscribers_deleted",
    order=53,
)


def delete_unconfirmed_subscribers(*, now: datetime | None = None) -> int:
    """Sign-ups never confirmed within HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS (30) are deleted, and so are rows
    unsubscribed longer than HOTLINE_NEWSLETTER_UNSUBSCRIBED_DAYS. Returns the first number."""
    now = now or timezone.now()
    deleted = run_policy(UNCONFIRMED_SUBSCRIBERS, now=now).count
    run_policy(UNSUBSCRIBED_SUBSCRIBERS, now=now)
    return deleted


# --- hand-over exports -----------------------------------------------------------------------------------
def _due_exports(now: datetime) -> QuerySet[PetitionExport]:
    cutoff = now - timedelta(days=conf.export_days())
    return PetitionExport.objects.filter(requested_at__lte=cutoff).exclude(state=ExportState.DELETED)


def _delete_exports(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    count = 0
    for export in _due_exports(now).filter(pk__in=candidates).order_by("pk"):
        delete_export(export=export, actor=audit.SYSTEM)  # the file goes once the transaction commits
        count += 1
    return count, {"exports": count, "older_than_days": conf.export_days()}


PETITION_EXPORTS = RetentionPolicy(
    name="campaigns.petition_exports",
    record_type=gettext_lazy("Petition hand-over files (names and municipalities)"),
    action=gettext_lazy("file deleted, row marked deleted"),
    setting="HOTLINE_PETITION_EXPORT_DAYS",
    unit="days",
    period=conf.export_days,
    due=_due_exports,
    erase=_delete_exports,
    audit_action="petition.exports_deleted",
    order=54,
)


def delete_old_exports(*, now: datetime | None = None) -> int:
    """Hand-over exports older than HOTLINE_PETITION_EXPORT_DAYS are deleted with their files."""
    return run_policy(PETITION_EXPORTS, now=now).count


POLICIES = (PETITION_SIGNERS, PENDING_SIGNATURES, UNCONFIRMED_SUBSCRIBERS, UNSUBSCRIBED_SUBSCRIBERS, PETITION_EXPORTS)
