"""Two years of made-up history for the statistics (`manage.py demo_data`): closed cases on reserved names, with
no texts, in the two calendar years before the current one. Built so the seed's figures come out of the data:
the first quarter of the second year has three times the reports of the first quarter of the first year, and of
the second year's illegal cases with a national link, 79 % came first from partner hotlines. Idempotent: each
report has a fixed public id and the history is made once."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.cases.models import (
    Assessment,
    Case,
    CaseState,
    Channel,
    CloseReason,
    Report,
    ReportedUrl,
    ReportKind,
)
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.insights import definitions
from hotline.insights.services import rollups
from hotline.referrals.models import Referral, ReferralState, ReferralTiming, RemovalMethod, Target
from hotline.staff.models import StaffUser

NAMESPACE = uuid.UUID("0d6f1f7e-3b8a-4e1c-9a57-6c1f2b7d4e21")
# Reports per quarter, first year then second year: Q1 of the second year is three times Q1 of the first.
REPORTS_PER_QUARTER = ((40, 55, 60, 65), (120, 130, 135, 140))
# Illegal cases with a national nexus in each year, and how many of them came first from partner hotlines.
NEXUS = ((40, 25), (100, 79))
CHANNELS: tuple[dict[str, int], ...] = (
    {Channel.WEB: 45, Channel.NETWORK: 35, Channel.BOOKMARK: 10, Channel.API: 10},
    {Channel.WEB: 35, Channel.NETWORK: 45, Channel.BOOKMARK: 10, Channel.SHARE: 5, Channel.API: 5},
)
PARTNER_HOTLINES = ("Demo hotline NL", "Demo hotline DE", "Demo hotline US", "Demo hotline FI")
API_SOURCE = "Safe Report app (demo operator)"
VERDICTS = {"csam_baseline": 50, "csam_national": 12, "not_csam": 23, "harmful_not_illegal": 10, "unreachable": 5}
ABROAD = ("NL", "US", "DE", "FR", "BG", "CA")
HOSTS = ("files", "img", "share", "gallery", "pics", "cdn", "media", "box")
ANALYST = "analyst@hotline.example"


@dataclass
class _Planned:
    report: Report
    case: Case | None  # None: a repeat report of an earlier case, `repeat_of`
    year_index: int
    repeat_of: Case | None = None


def history_years(today: date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    return today.year - 2, today.year - 1


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, year: int, quarter: int) -> datetime:
    first = date(year, 3 * quarter - 2, 1)
    last = (date(year, 3 * quarter + 1, 1) if quarter < 4 else date(year + 1, 1, 1)) - timedelta(days=1)
    day = first + timedelta(days=rng.randrange((last - first).days + 1))
    return datetime.combine(day, time(rng.randrange(7, 22), rng.randrange(60)), tzinfo=definitions.time_zone())


def load(stdout: Any) -> None:
    analyst = StaffUser.objects.filter(email=ANALYST).first()
    if analyst is None:
        stdout.write("Statistics history skipped: the demo staff accounts are missing.")
        return
    first_id = uuid.uuid5(NAMESPACE, "report-0")
    if Report.objects.filter(public_id=first_id).exists():
        stdout.write("Statistics history: already there.")
        return
    years = history_years()
    with transaction.atomic():
        made = _make(random.Random(2015), years, analyst)  # nosec B311  # made-up demo data, not a secret
    rollups.refresh()
    q1 = [REPORTS_PER_QUARTER[0][0], REPORTS_PER_QUARTER[1][0]]
    stdout.write(
        f"Statistics history: {made} reports in {years[0]}-{years[1]} (Q1: {q1[0]} then {q1[1]}, three times as"
        f" many; {NEXUS[1][1]} of {NEXUS[1][0]} nexus cases in {years[1]} from partner hotlines)."
    )


def _make(rng: random.Random, years: tuple[int, int], analyst: StaffUser) -> int:
    planned: list[_Planned] = []
    number = 0
    for year_index, year in enumerate(years):
        for quarter, count in enumerate(REPORTS_PER_QUARTER[year_index], start=1):
            cases_this_quarter: list[Case] = []
            for _n in range(count):
                received_at = _moment(rng, year, quarter)
                channel = _pick(rng, CHANNELS[year_index])
                source = (
                    rng.choice(PARTNER_HOTLINES)
                    if channel == Channel.NETWORK
                    else API_SOURCE
                    if channel == Channel.API
                    else ""
                )
                report = Report(
                    public_id=uuid.uuid5(NAMESPACE, f"report-{number}"),
                    channel=channel,
                    source_name=source,
                    kind=ReportKind.ONLINE_MATERIAL,
                    received_at=received_at,
                    triaged_at=received_at,
                    language="sv",
                )
                number += 1
                # A repeat report comes after the case it repeats, so each case's first report is its own.
                earlier = [c for c in cases_this_quarter if c.created_at < received_at]
                repeat_of = rng.choice(earlier) if earlier and rng.random() < 0.1 else None
                case = None
                if repeat_of is not None:
                    repeat_of.report_count += 1
                    repeat_of.last_reported_at = max(repeat_of.last_reported_at or received_at, received_at)
                else:
                    url = f"https://{rng.choice(HOSTS)}{number}.example.test/album/{number}"
                    case = Case(
                        kind=ReportKind.ONLINE_MATERIAL,
                        state=CaseState.CLOSED,
                        canonical_url=url,
                        url_index=blind_index(url, purpose=IndexPurpose.CASE_URL),
                        host=url.split("/")[2],
                        registered_domain="example.test",
                        created_at=received_at,
                        state_changed_at=received_at,
                        report_count=1,
                        channels=channel,
                        last_reported_at=received_at,
                    )
                    cases_this_quarter.append(case)
                planned.append(_Planned(report, case, year_index, repeat_of))
    Report.objects.bulk_create([p.report for p in planned], batch_size=500)
    Case.objects.bulk_create([p.case for p in planned if p.case is not None], batch_size=500)
    urls = []
    for p in planned:
        case = p.case or p.repeat_of
        assert case is not None
        urls.append(
            ReportedUrl(
                report=p.report,
                url=case.canonical_url,
                url_index=blind_index(case.canonical_url, purpose=IndexPurpose.REPORTED_URL),
                case=case,
            )
        )
    ReportedUrl.objects.bulk_create(urls, batch_size=500)
    _assess(rng, [p for p in planned if p.case is not None], analyst)
    return len(planned)


def _assess(rng: random.Random, planned: list[_Planned], analyst: StaffUser) -> None:
    assessments, timings, referrals = [], [], []
    by_year: dict[int, list[tuple[_Planned, Assessment]]] = {0: [], 1: []}
    for p in planned:
        case = p.case
        assert case is not None
        verdict = _pick(rng, VERDICTS)
        assessed_at = case.created_at + timedelta(minutes=rng.randrange(20, 60 * 60))
        assessment = Assessment(
            case=case,
            analyst=analyst,
            created_at=assessed_at,
            verdict=verdict,
            kind=case.kind,
            media_types=["image"],
            site_type="image_host",
        )
        assessments.append(assessment)
        case.close_reason = CloseReason.NOT_ILLEGAL if verdict in ("not_csam", "harmful_not_illegal") else ""
        if verdict == "unreachable":
            case.close_reason = CloseReason.UNREACHABLE
        if assessment.is_illegal:
            by_year[p.year_index].append((p, assessment))
    for year_index, (nexus_total, from_partners) in enumerate(NEXUS):
        illegal = by_year[year_index]
        partner_first = [pair for pair in illegal if pair[0].report.channel == Channel.NETWORK]
        others = [pair for pair in illegal if pair[0].report.channel != Channel.NETWORK]
        chosen = rng.sample(partner_first, from_partners) + rng.sample(others, nexus_total - from_partners)
        for index, (_p, assessment) in enumerate(chosen):
            # A Swedish server, victim or offender: each nexus case has one of the three.
            assessment.nexus_server = index % 3 == 0
            assessment.nexus_victim = index % 3 == 1
            assessment.nexus_offender = index % 3 == 2
    for pairs in by_year.values():
        for p, assessment in pairs:
            case = p.case
            assert case is not None
            nexus = assessment.nexus_server or assessment.nexus_victim or assessment.nexus_offender
            case.hosting_country = "SE" if assessment.nexus_server else rng.choice(ABROAD)
            police_at = assessment.created_at + timedelta(hours=rng.randrange(1, 48)) if nexus else None
            notice_at = assessment.created_at + timedelta(minutes=rng.randrange(10, 240))
            removed = rng.random() < 0.85
            hours_to_removal = rng.choice((2, 5, 12, 20, 30, 44, 60, 90, 200))
            removed_at = notice_at + timedelta(hours=hours_to_removal) if removed else None
            case.close_reason = CloseReason.REMOVED if removed else CloseReason.NO_ACTION_POSSIBLE
            timings.append(
                ReferralTiming(
                    case=case,
                    hosting_country=case.hosting_country,
                    first_report_at=case.created_at,
                    police_referred_at=police_at,
                    report_to_police_seconds=int((police_at - case.created_at).total_seconds()) if police_at else None,
                    first_notice_at=notice_at,
                    first_notice_target=Target.HOST_NOTICE,
                    removed_at=removed_at,
                    removal_method=RemovalMethod.REPORTED_BY_HOST if removed else "",
                    notice_to_removal_seconds=int((removed_at - notice_at).total_seconds()) if removed_at else None,
                    report_to_removal_seconds=(
                        int((removed_at - case.created_at).total_seconds()) if removed_at else None
                    ),
                )
            )
            referrals.append(
                Referral(
                    reference=f"H{uuid.UUID(int=rng.getrandbits(128)).hex[:12].upper()}",
                    case=case,
                    target=Target.HOST_NOTICE,
                    target_key="host_notice",
                    recipient_name="Example Hosting (demo)",
                    recipient_country=case.hosting_country,
                    state=ReferralState.CONTENT_REMOVED if removed else ReferralState.NOT_REMOVED,
                    planned_at=notice_at,
                    sent_at=notice_at,
                    content_removed_at=removed_at,
                    not_removed_at=None if removed else notice_at + timedelta(days=14),
                    state_changed_at=removed_at or notice_at + timedelta(days=14),
                    removal_method=RemovalMethod.REPORTED_BY_HOST if removed else "",
                )
            )
    Assessment.objects.bulk_create(assessments, batch_size=500)
    Case.objects.bulk_update(
        [p.case for p in planned if p.case is not None], ["close_reason", "hosting_country"], batch_size=500
    )
    ReferralTiming.objects.bulk_create(timings, batch_size=500)
    Referral.objects.bulk_create(referrals, batch_size=500)
