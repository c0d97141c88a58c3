"""Test data for the referrals tests: cases with reports, a confirmed assessment and hosting facts.

Reserved names only (example.test, *.example, documentation IP ranges); neutral texts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseState,
    Channel,
    Report,
    ReportedUrl,
)
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.referrals.models import PartnerHotline
from hotline.staff.models import StaffUser


def staff(*roles: str, email: str) -> StaffUser:
    user = StaffUser.objects.filter(email=email).first() or StaffUser.objects.create_user(
        email=email, password="x" * 16
    )
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


def add_hosting(
    *,
    host: str,
    country: str,
    abuse_email: str = "",
    ip: str = "192.0.2.10",
    cdn_name: str = "",
    origin_hidden: bool = False,
    holder: str = "Example Hosting Ltd",
    network_name: str = "EXAMPLE-NET",
    asn: int | None = 64500,
    found_at: datetime | None = None,
) -> None:
    """Hosting facts as tracing leaves them for the other apps (one trace, one address): the host's newest
    facts, kept by cases (tracing's own tests check that a trace writes exactly these)."""
    from django.db import transaction

    from hotline.cases.services import record_host_facts

    with transaction.atomic():
        record_host_facts(
            host=host,
            found_at=found_at or timezone.now(),
            country=country,
            asn=asn,
            network_name=network_name,
            abuse_email=abuse_email,
            holder=holder,
            cdn_name=cdn_name,
            origin_hidden=origin_hidden,
            method="dns+mmdb+rdap",
            ips=[ip],
        )


def make_case(
    *,
    host: str = "files.example.test",
    path: str = "/album/1",
    verdict: str = "csam_baseline",
    kind: str = "online_material",
    state: str = CaseState.ASSESSED,
    country: str = "",
    abuse_email: str = "",
    hosting: bool = True,
    analyst: StaffUser | None = None,
    received_at: datetime | None = None,
    media_types: list[str] | None = None,
    status: str = AssessmentStatus.CONFIRMED,
    with_url: bool = True,
    **assessment: Any,
) -> Case:
    analyst = analyst or staff("analyst", email="factory-analyst@hotline.example")
    url = f"https://{host}{path}" if with_url else ""
    received_at = received_at or timezone.now()
    case = Case.objects.create(
        kind=kind,
        state=state,
        canonical_url=url,
        url_index=blind_index(url, purpose=IndexPurpose.CASE_URL) if url else None,
        host=host if url else "",
        registered_domain=".".join(host.split(".")[-2:]) if url else "",
        hosting_country=country,
        created_at=received_at,
        report_count=1,
    )
    report = Report.objects.create(
        channel=Channel.WEB,
        kind=kind,
        received_at=received_at,
        description="A neutral test description.",
        contact="reporter@example.test",
        situation_case=None if url else case,
    )
    if url:
        reported_index = blind_index(url, purpose=IndexPurpose.REPORTED_URL)
        ReportedUrl.objects.create(report=report, url=url, url_index=reported_index, case=case)
    if verdict:
        Assessment.objects.create(
            case=case,
            analyst=analyst,
            verdict=verdict,
            kind=kind,
            status=status,
            media_types=media_types if media_types is not None else ["image"],
            victim_age_group="prepubescent",
            victim_gender="female",
            site_type=assessment.pop("site_type", "image_host"),
            **assessment,
        )
    if hosting and country and url:
        add_hosting(host=host, country=country, abuse_email=abuse_email)
    return case


def partner(name: str = "Demo hotline NL", countries: str = "NL", email: str = "hotline-nl@partners.example",
            language: str = "en") -> PartnerHotline:  # fmt: skip
    return PartnerHotline.objects.create(name=name, countries=countries, referral_email=email, language=language)
