"""What referrals contributes to /metrics and /readyz: deliveries that failed and wait for a person, and failed
delivery attempts of the last day, by recipient kind (police, partner hotline, notice to host)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone

from hotline.core.registry import Metric
from hotline.referrals.models import DeliveryAttempt, Referral, ReferralState, Target


def _failed() -> tuple[int, float | None]:
    """Referrals in the failed state (retries used up or stopped) and the age of the oldest failure."""
    found = Referral.objects.filter(state=ReferralState.FAILED).aggregate(n=Count("pk"), oldest=Min("failed_at"))
    oldest = found["oldest"]
    return found["n"], (max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else None)


def collect() -> list[Metric]:
    failed, oldest = _failed()
    since = timezone.now() - timedelta(hours=24)
    attempts = dict(
        DeliveryAttempt.objects.filter(ok=False, at__gte=since)
        .values_list("referral__target")
        .order_by("referral__target")
        .annotate(n=Count("pk"))
    )
    retrying = (
        Referral.objects.filter(failures__gt=0)
        .exclude(state=ReferralState.FAILED)
        .exclude(next_attempt_at=None)
        .count()
    )
    return [
        Metric(
            "hotline_referrals_failed",
            "Referrals whose delivery failed and waits for a person.",
            samples=(((), failed),),
        ),
        Metric(
            "hotline_referral_oldest_failed_age_seconds",
            "How long the oldest failed delivery has waited for a person (0: none).",
            samples=(((), oldest or 0.0),),
        ),
        Metric(
            "hotline_referrals_retrying",
            "Referrals whose last delivery attempt failed and that wait for an automatic retry.",
            samples=(((), retrying),),
        ),
        Metric(
            "hotline_delivery_attempts_failed_24h",
            "Delivery attempts that failed in the last 24 hours, by recipient kind.",
            labels=("target",),
            samples=tuple(((target,), attempts.get(target, 0)) for target in Target.values),
        ),
    ]


def ready_facts() -> Mapping[str, int | float | None]:
    failed, oldest = _failed()
    return {"failed_deliveries": failed, "oldest_failed_delivery_age_seconds": oldest}
