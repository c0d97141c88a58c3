"""Retention of the referrals app: the stored copy of a police package holds the reporters' texts, so it is
erased with them (the cases app's HOTLINE_REPORT_TEXT_RETENTION_DAYS)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hotline.cases import conf as cases_conf
from hotline.cases.models import Case, CaseState
from hotline.core import audit
from hotline.referrals import selectors
from hotline.referrals.models import Referral, Target
from hotline.referrals.services._common import SYSTEM

ERASE_BATCH = 500  # referrals per transaction (and per audit entry)


def erase_expired_police_packages(*, now: datetime | None = None) -> int:
    """The hotline's stored copy of a police package holds the reporters' texts: erase it with them,
    once its case has been closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS (off when unset). The
    package's SHA-256 and build time stay as the record of what was handed over. Batches of
    ERASE_BATCH, each locking its cases and with one audit entry (referral ids and numbers only).
    Returns how many packages were erased."""
    days = cases_conf.report_text_retention_days()
    if days is None:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = selectors.with_stored_package(
        Referral.objects.filter(target=Target.POLICE, case__state=CaseState.CLOSED, case__state_changed_at__lte=cutoff)
    ).order_by("pk")
    erased = 0
    while candidates := list(expired.values_list("pk", flat=True)[:ERASE_BATCH]):
        with transaction.atomic():
            # The cases first (a reopening locks its case too), then check again under the lock.
            case_ids = Referral.objects.filter(pk__in=candidates).values("case_id")
            list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").values_list("pk", flat=True))
            ids = list(expired.filter(pk__in=candidates).values_list("pk", flat=True))
            Referral.objects.filter(pk__in=ids).update(package="")
            audit.record(
                actor=SYSTEM,
                action="referral.packages_erased",
                object_type="referral",
                details={"referrals": len(ids), "referral_ids": ids, "retention_days": days},
            )
        erased += len(ids)
    return erased
