"""Retention policies of the referrals app (hotline.core.retention): the stored copy of a police package holds the
reporters' texts, so it is erased with them (cases' HOTLINE_REPORT_TEXT_RETENTION_DAYS); the referrals of an
anonymised case lose their free text with it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hotline.cases import conf as cases_conf
from hotline.cases.models import Case, CaseState
from hotline.core.retention import RetentionPolicy, holds_text, run_policy
from hotline.referrals import selectors
from hotline.referrals.models import Referral, Target

ERASE_BATCH = 500  # referrals per transaction (and per audit entry) when called as erase_expired_police_packages


def _lock_cases(candidates: list[int]) -> None:
    # The cases first (a reopening locks its case too); the caller then checks again under the lock.
    case_ids = Referral.objects.filter(pk__in=candidates).values("case_id")
    list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").values_list("pk", flat=True))


def _due_packages(now: datetime) -> QuerySet[Referral]:
    days = cases_conf.report_text_retention_days()
    assert days is not None
    cutoff = now - timedelta(days=days)
    return selectors.with_stored_package(
        Referral.objects.filter(target=Target.POLICE, case__state=CaseState.CLOSED, case__state_changed_at__lte=cutoff)
    )


def _erase_packages(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    _lock_cases(candidates)
    ids = list(_due_packages(now).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
    Referral.objects.filter(pk__in=ids).update(package="")
    return len(ids), {
        "referrals": len(ids),
        "referral_ids": ids,
        "retention_days": cases_conf.report_text_retention_days(),
    }


POLICE_PACKAGES = RetentionPolicy(
    name="referrals.police_packages",
    record_type=_("Stored copies of police packages (they hold the reporters' texts)"),
    action=_("erased; the SHA-256 and build time stay"),
    setting="HOTLINE_REPORT_TEXT_RETENTION_DAYS",
    unit="days",
    period=cases_conf.report_text_retention_days,
    due=_due_packages,
    erase=_erase_packages,
    audit_action="referral.packages_erased",
    order=40,
)


def erase_expired_police_packages(*, now: datetime | None = None) -> int:
    """The hotline's stored copy of a police package holds the reporters' texts: erase it with them,
    once its case has been closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS (off when unset). The
    package's SHA-256 and build time stay as the record of what was handed over. Batches of
    ERASE_BATCH, each locking its cases and with one audit entry (referral ids and numbers only).
    Returns how many packages were erased."""
    return run_policy(POLICE_PACKAGES, now=now, batch=ERASE_BATCH).count


_FREE_TEXT = ("package", "adjust_reason", "not_removed_reason", "last_error")


def _due_of_anonymised_cases(now: datetime) -> QuerySet[Referral]:
    return Referral.objects.filter(holds_text(*_FREE_TEXT), case__erased_at__isnull=False)


def _anonymise(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    _lock_cases(candidates)
    ids = list(_due_of_anonymised_cases(now).filter(pk__in=candidates).order_by("pk").values_list("pk", flat=True))
    Referral.objects.filter(pk__in=ids).update(**dict.fromkeys(_FREE_TEXT, ""))
    return len(ids), {"referrals": len(ids), "referral_ids": ids}


def _with_the_case() -> int:
    return 0  # at the next run after its case was anonymised (the case's policy holds the period)


REFERRALS_OF_ANONYMISED_CASES = RetentionPolicy(
    name="referrals.of_anonymised_cases",
    record_type=_("Referrals and police packages of anonymised cases"),
    action=_("free text and stored package blanked; recipient, states, times and the package hash stay"),
    setting="",
    unit="days",
    period=_with_the_case,
    due=_due_of_anonymised_cases,
    erase=_anonymise,
    audit_action="referral.anonymised",
    order=41,
    fixed=_("with its case (the case's period)"),
)
