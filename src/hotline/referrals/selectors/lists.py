"""Referrals as staff and the worker list them: of a case, one with its attempts, by state, failed, escalated,
police packages to collect, deliveries due."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.db.models.functions import Length

from hotline.cases.models import Case
from hotline.referrals.models import FINAL_STATES, Referral, ReferralState, Target


def get_case(*, case_id: int) -> Case | None:
    return Case.objects.filter(pk=case_id).first()


def referrals_for_case(*, case: Case) -> list[Referral]:
    """A case's referrals, oldest first (the plan page, and the case page: referrals/_case_panel.html)."""
    return list(Referral.objects.filter(case_id=case.pk).select_related("partner").order_by("planned_at", "pk"))


def get_referral(*, referral_id: int) -> Referral | None:
    return (
        Referral.objects.filter(pk=referral_id)
        .select_related("case", "partner", "created_by")
        .prefetch_related("delivery_attempts")
        .first()
    )


def referral_list(*, state: str = "") -> QuerySet[Referral]:
    qs = Referral.objects.select_related("case", "partner").order_by("-state_changed_at", "-pk")
    if state in ReferralState.values:
        qs = qs.filter(state=state)
    return qs


def failed_referrals() -> QuerySet[Referral]:
    """Every referral whose latest delivery failed (retrying or given up), oldest failure first."""
    return Referral.objects.filter(state=ReferralState.FAILED).select_related("case", "partner").order_by("failed_at")


def escalated_referrals() -> QuerySet[Referral]:
    """Notices repeated HOTLINE_NOTICE_ESCALATE_AFTER times without removal, still open."""
    return (
        Referral.objects.filter(escalated_at__isnull=False)
        .exclude(state__in=list(FINAL_STATES))
        .select_related("case", "partner")
        .order_by("escalated_at")
    )


def with_stored_package(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Only referrals whose police package is still stored (not erased with the reporters' texts)."""
    # An encrypted column takes no "=" lookup; its length tells an empty one apart.
    return referrals.annotate(package_length=Length("package")).filter(package_length__gt=0)


def awaiting_download() -> QuerySet[Referral]:
    """Police packages ready to collect (one erased at the end of its retention period is not)."""
    return with_stored_package(
        Referral.objects.filter(
            target=Target.POLICE, channel="download", state=ReferralState.SENT, package_sha256__gt=""
        )
    ).select_related("case")


def due_referral_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Referral.objects.filter(next_attempt_at__lte=now, awaiting_clearance=False)
        .exclude(state__in=list(FINAL_STATES))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
