"""What a message or a police package about one referral may say, read from the case when the worker builds it:
facts, URL and the reports' own words; never media, never a reporter's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Min, Q

from hotline.cases.models import Case, Report
from hotline.cases.selectors import case_reports
from hotline.referrals import conf
from hotline.referrals.models import Referral
from hotline.referrals.selectors.hosting import HostingFacts, case_hosting
from hotline.referrals.selectors.plan import confirmed_assessment


def first_report_at(*, case: Case) -> datetime:
    """When the case's first report came (the case's creation time when it has none)."""
    first = Report.objects.filter(Q(urls__case=case) | Q(situation_case=case)).aggregate(at=Min("received_at"))["at"]
    return first or case.created_at


@dataclass(frozen=True)
class ReferralSnapshot:
    """What a message about one referral may say. No media, no reporter identity."""

    referral_id: int
    reference: str
    target: str
    channel: str
    language: str
    recipient_email: str
    recipient_name: str
    recipient_country: str
    partner_name: str
    case_id: int
    case_kind: str
    case_created_at: datetime
    canonical_url: str
    host: str
    registered_domain: str
    report_count: int
    verdict: str
    assessment_kind: str
    media_types: tuple[str, ...]
    site_type: str
    commercial: bool
    assessed_at: datetime | None
    hosting: HostingFacts
    notice_number: int
    first_notice_at: datetime | None
    first_seen_at: datetime  # the first report of the case: when the material was first seen (X-ARF timestamp)


def referral_snapshot(*, referral: Referral, notice_number: int = 1) -> ReferralSnapshot:
    case = referral.case
    assessment = confirmed_assessment(case=case)
    hosting = case_hosting(case=case)
    return ReferralSnapshot(
        referral_id=referral.pk,
        reference=referral.reference,
        target=referral.target,
        channel=referral.channel,
        language=referral.language,
        recipient_email=referral.recipient_email,
        recipient_name=referral.recipient_name,
        recipient_country=referral.recipient_country,
        partner_name=referral.partner.name if referral.partner_id and referral.partner else "",
        case_id=case.pk,
        case_kind=case.kind,
        case_created_at=case.created_at,
        canonical_url=case.canonical_url or "",
        host=case.host,
        registered_domain=case.registered_domain,
        report_count=case.report_count,
        verdict=assessment.verdict if assessment else "",
        assessment_kind=(assessment.kind if assessment else "") or case.kind,
        media_types=tuple(assessment.media_types or ()) if assessment else (),
        site_type=assessment.site_type if assessment else "",
        commercial=bool(assessment.commercial) if assessment else False,
        assessed_at=assessment.created_at if assessment else None,
        hosting=hosting,
        notice_number=notice_number,
        first_notice_at=referral.sent_at,
        first_seen_at=first_report_at(case=case),
    )


def police_case_data(*, referral: Referral) -> dict[str, Any]:
    """The case as JSON-ready data for the police package: facts, URL, reports' own words; no media,
    no reporter contact details (only whether the reporter left any)."""
    case = referral.case
    assessment = confirmed_assessment(case=case)
    hosting = case_hosting(case=case)
    reports = []
    for report in case_reports(case):
        reports.append(
            {
                "received_at": report.received_at.isoformat(),
                "channel": report.channel,
                "source": report.source_name,
                "kind": report.kind,
                "where_seen": report.where_seen or "",
                "description": report.description or "",
                "reporter_left_contact_details": bool(report.contact),
                "reporter_nexus_hints": {
                    "victim": report.nexus_victim,
                    "offender": report.nexus_offender,
                    "place": report.nexus_place,
                },
            }
        )
    return {
        "format": "hotline-police-referral/1",
        "reference": referral.reference,
        "organisation": conf.organisation(),
        "home_country": conf.home_country(),
        "case": {
            "id": case.pk,
            "kind": case.kind,
            "created_at": case.created_at.isoformat(),
            "canonical_url": case.canonical_url or "",
            "host": case.host,
            "registered_domain": case.registered_domain,
            "report_count": case.report_count,
        },
        "assessment": None
        if assessment is None
        else {
            "verdict": assessment.verdict,
            "kind": assessment.kind,
            "assessed_at": assessment.created_at.isoformat(),
            "media_types": list(assessment.media_types or []),
            "image_count": assessment.image_count,
            "video_count": assessment.video_count,
            "victim_age_group": assessment.victim_age_group,
            "victim_gender": assessment.victim_gender,
            "site_type": assessment.site_type,
            "commercial": assessment.commercial,
            "national_nexus": {
                "server": assessment.nexus_server,
                "victim": assessment.nexus_victim,
                "offender": assessment.nexus_offender,
            },
        },
        "hosting": {
            "country": hosting.country,
            "asn": hosting.asn,
            "network_name": hosting.network_name,
            "holder": hosting.holder,
            "abuse_email": hosting.abuse_email,
            "cdn": hosting.cdn_name,
            "origin_hidden": hosting.origin_hidden,
            "ips": list(hosting.ips),
            "found_at": hosting.found_at.isoformat() if hosting.found_at else None,
            "method": hosting.method,
        },
        "reports": reports,
        "media": "none (the hotline never stores or sends media)",
    }
