"""Removal times per case (ReferralTiming, kept by the removal services) and their summaries, for statistics."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.referrals.models import ReferralTiming


@dataclass(frozen=True)
class RemovalTime:
    case_id: int
    hosting_country: str
    first_report_at: datetime | None
    police_referred_at: datetime | None
    report_to_police_seconds: int | None
    first_notice_at: datetime | None
    first_notice_target: str
    removed_at: datetime | None
    removal_method: str
    notice_to_removal_seconds: int | None
    report_to_removal_seconds: int | None


def removal_times(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    country: str = "",
    removed_only: bool = False,
) -> list[RemovalTime]:
    """Per-case times for statistics. `since`/`until` bound the first report time (until exclusive)."""
    qs = ReferralTiming.objects.all().order_by("case_id")
    if since is not None:
        qs = qs.filter(first_report_at__gte=since)
    if until is not None:
        qs = qs.filter(first_report_at__lt=until)
    if country:
        qs = qs.filter(hosting_country=country.upper())
    if removed_only:
        qs = qs.filter(removed_at__isnull=False)
    return [
        RemovalTime(
            case_id=t.case_id,
            hosting_country=t.hosting_country,
            first_report_at=t.first_report_at,
            police_referred_at=t.police_referred_at,
            report_to_police_seconds=t.report_to_police_seconds,
            first_notice_at=t.first_notice_at,
            first_notice_target=t.first_notice_target,
            removed_at=t.removed_at,
            removal_method=t.removal_method,
            notice_to_removal_seconds=t.notice_to_removal_seconds,
            report_to_removal_seconds=t.report_to_removal_seconds,
        )
        for t in qs
    ]


@dataclass(frozen=True)
class DurationSummary:
    count: int
    median_seconds: float | None
    p90_seconds: float | None


def summarise_seconds(values: list[int]) -> DurationSummary:
    if not values:
        return DurationSummary(count=0, median_seconds=None, p90_seconds=None)
    ordered = sorted(values)
    p90_index = max(0, math.ceil(0.9 * len(ordered)) - 1)  # nearest rank
    return DurationSummary(
        count=len(ordered), median_seconds=float(statistics.median(ordered)), p90_seconds=float(ordered[p90_index])
    )


def removal_time_summary(**filters: Any) -> dict[str, DurationSummary]:
    rows = removal_times(**filters)
    return {
        "report_to_police": summarise_seconds(
            [r.report_to_police_seconds for r in rows if r.report_to_police_seconds is not None]
        ),
        "notice_to_removal": summarise_seconds(
            [r.notice_to_removal_seconds for r in rows if r.notice_to_removal_seconds is not None]
        ),
        "report_to_removal": summarise_seconds(
            [r.report_to_removal_seconds for r in rows if r.report_to_removal_seconds is not None]
        ),
    }
