"""The dashboard's figures counted directly over the raw tables, one row at a time, without facts or rollups:
what the rollups are checked against. Written plainly on purpose (and slow): it shares no code with
insights.services.rollups but the duration steps of definitions.bucket."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from hotline.cases.models import (
    ILLEGAL_VERDICTS,
    Assessment,
    AssessmentStatus,
    Case,
    Channel,
    CloseReason,
    Report,
    ReportedUrl,
)
from hotline.insights import definitions
from hotline.insights.selectors.figures import Period
from hotline.referrals.models import AttemptKind, DeliveryAttempt, Referral, ReferralTiming, Target


def _nearest_rank(values: list[int], percent: int) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil
    return definitions.bucket(ordered[max(rank, 1) - 1])


def direct_figures(period: Period) -> dict[str, Any]:
    zone = definitions.time_zone()

    def inside(moment: datetime) -> bool:
        return period.start <= moment.astimezone(zone).date() <= period.end

    def partner(report: Report) -> str:
        return report.source_name if report.channel in (Channel.NETWORK, Channel.API) else ""

    reports_of_case: dict[int, list[Report]] = defaultdict(list)
    for url in ReportedUrl.objects.select_related("report").exclude(case=None):
        reports_of_case[url.case_id].append(url.report)  # type: ignore[index]
    for report in Report.objects.exclude(situation_case=None):
        reports_of_case[report.situation_case_id].append(report)  # type: ignore[index]
    first = {case_id: min(found, key=lambda r: (r.received_at, r.pk)) for case_id, found in reports_of_case.items()}

    out: dict[str, Any] = defaultdict(int)
    for name in (
        "reports_by_channel",
        "reports_by_partner",
        "nexus_by_channel",
        "nexus_by_partner",
        "verdict_mix",
        "hosting_countries",
        "kinds",
    ):
        out[name] = defaultdict(int)
    for report in Report.objects.all():
        if inside(report.received_at):
            out["reports"] += 1
            out["reports_by_channel"][report.channel] += 1
            if partner(report):
                out["reports_by_partner"][partner(report)] += 1
    for url in ReportedUrl.objects.select_related("report"):
        if inside(url.report.received_at):
            out["urls"] += 1
            if url.case_id is not None and first[url.case_id].pk != url.report_id:
                out["repeat_urls"] += 1

    durations: dict[str, list[int]] = {measure: [] for measure in definitions.MEASURES}
    for case in Case.objects.all():
        first_report = first.get(case.pk)
        received_at = first_report.received_at if first_report else case.created_at
        if not inside(received_at):
            continue
        confirmed = (
            Assessment.objects.filter(case=case, status=AssessmentStatus.CONFIRMED)
            .order_by("-created_at", "-id")
            .first()
        )
        first_assessment = (
            Assessment.objects.filter(case=case, status__in=(AssessmentStatus.CONFIRMED, AssessmentStatus.SUPERSEDED))
            .order_by("created_at", "id")
            .first()
        )
        verdict = confirmed.verdict if confirmed else ""
        illegal = verdict in ILLEGAL_VERDICTS
        out["cases"] += 1
        out["kinds"][confirmed.kind if confirmed else case.kind] += 1
        if first_assessment is not None:
            out["assessed"] += 1
            if verdict:
                out["verdict_mix"][verdict] += 1
            durations[definitions.TO_ASSESSMENT].append(
                int((first_assessment.created_at - received_at).total_seconds())
            )
        if illegal:
            out["illegal"] += 1
            out["hosting_countries"][case.hosting_country or ""] += 1
            if confirmed and (confirmed.nexus_server or confirmed.nexus_victim or confirmed.nexus_offender):
                out["nexus_cases"] += 1
                channel = first_report.channel if first_report else Channel.STAFF
                out["nexus_by_channel"][channel] += 1
                if first_report and partner(first_report):
                    out["nexus_by_partner"][partner(first_report)] += 1
        if case.duplicate_of_id is not None or case.close_reason == CloseReason.DUPLICATE:
            out["duplicates"] += 1
        if case.hash_list_match:
            out["hash_matches"] += 1
        timing = ReferralTiming.objects.filter(case=case).first()
        if timing and timing.police_referred_at:
            out["police"] += 1
            durations[definitions.TO_POLICE].append(int((timing.police_referred_at - received_at).total_seconds()))
        if timing and timing.first_notice_at:
            out["noticed"] += 1
        if timing and timing.removed_at:
            out["removed"] += 1
            seconds = int((timing.removed_at - received_at).total_seconds())
            durations[definitions.TO_REMOVAL].append(seconds)
            if seconds <= 3 * 24 * 3600:
                out["removed_within_3_days"] += 1
        for referral in Referral.objects.filter(case=case):
            if referral.target in (Target.HOST_NOTICE, Target.PARTNER_HOTLINE) and referral.sent_at is not None:
                out["notices"] += 1
            if referral.escalated_at is not None:
                out["escalated"] += 1
            if referral.failed_at is not None:
                out["failures"] += 1
            if DeliveryAttempt.objects.filter(referral=referral, kind=AttemptKind.REMINDER, ok=True).exists():
                out["repeated_notices"] += 1

    for measure, values in durations.items():
        values = [max(0, v) for v in values]
        out.setdefault("median_seconds", {})[measure] = _nearest_rank(values, 50)
        out.setdefault("p90_seconds", {})[measure] = _nearest_rank(values, 90)
    bands = {"within_1_day": 0, "1_to_3_days": 0, "3_to_7_days": 0, "7_to_30_days": 0, "over_30_days": 0}
    for seconds in durations[definitions.TO_REMOVAL]:
        days = max(0, seconds) / 86_400
        name = (
            "within_1_day"
            if days < 1
            else "1_to_3_days"
            if days < 3
            else "3_to_7_days"
            if days < 7
            else "7_to_30_days"
            if days < 30
            else "over_30_days"
        )
        bands[name] += 1
    out["removal_distribution"] = bands
    return {key: dict(value) if isinstance(value, defaultdict) else value for key, value in out.items()}


FIELDS = (
    "reports",
    "urls",
    "repeat_urls",
    "reports_by_channel",
    "reports_by_partner",
    "cases",
    "assessed",
    "illegal",
    "duplicates",
    "hash_matches",
    "police",
    "noticed",
    "removed",
    "removed_within_3_days",
    "notices",
    "repeated_notices",
    "escalated",
    "failures",
    "nexus_cases",
    "nexus_by_channel",
    "nexus_by_partner",
    "verdict_mix",
    "hosting_countries",
    "kinds",
    "median_seconds",
    "p90_seconds",
    "removal_distribution",
)


def as_dict(figures: Any) -> dict[str, Any]:
    """The same fields of a Figures, with empty counters dropped as the direct count drops them."""
    out = {}
    for name in FIELDS:
        value = getattr(figures, name)
        if isinstance(value, dict) and name not in ("median_seconds", "p90_seconds", "removal_distribution"):
            value = {k: v for k, v in value.items() if v}
        out[name] = value
    return out


def normalised(direct: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in FIELDS:
        value = direct.get(name, 0)
        if isinstance(value, dict) and name not in ("median_seconds", "p90_seconds", "removal_distribution"):
            value = {k: v for k, v in value.items() if v}
        out[name] = value
    return out
