"""Rows of the cases app built one way, for tests and demo data (never used by a request).

Two kinds of builder, and each says which it is:
- through cases' services, so the case has the events and audit entries a real one has: `triaged_case`,
  `claim_and_assess`, `add_host_facts`;
- raw rows for a test (or a demo example) that needs a case in a given state without its history:
  `store_report` (a report as intake stores it, not yet triaged), `make_case`, `make_cases`,
  `make_assessed_case`. They write no audit entry and no case event.
Reserved names only (example.test, *.example, documentation IP ranges); neutral texts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.cases import services
from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseState,
    Channel,
    NexusHint,
    Report,
    ReportedUrl,
    ReportKind,
)
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.staff.factories import known_staff_user
from hotline.staff.models import StaffUser

FACTORY_ANALYST = "factory-analyst@hotline.example"


def store_report(
    *urls: str,
    channel: str = Channel.WEB,
    kind: str = ReportKind.ONLINE_MATERIAL,
    source_name: str = "",
    description: str = "",
    contact: str = "",
    where_seen: str = "",
    reporter_classification: str = "",
    nexus_victim: str = NexusHint.UNKNOWN,
    nexus_offender: str = NexusHint.UNKNOWN,
    nexus_place: str = NexusHint.UNKNOWN,
    received_at: datetime | None = None,
    receipt_index: str = "",
    public_id: uuid.UUID | None = None,
) -> Report:
    """A Report with its ReportedUrls, stored the way intake stores them (URL encrypted + blind index), not
    yet triaged (raw rows)."""
    report = Report.objects.create(
        channel=channel,
        kind=kind,
        source_name=source_name,
        description=description,
        contact=contact,
        where_seen=where_seen,
        reporter_classification=reporter_classification,
        nexus_victim=nexus_victim,
        nexus_offender=nexus_offender,
        nexus_place=nexus_place,
        received_at=received_at or timezone.now(),
        receipt_index=receipt_index,
        **({"public_id": public_id} if public_id is not None else {}),
    )
    for i, url in enumerate(urls):
        ReportedUrl.objects.create(
            report=report, position=i, url=url, url_index=blind_index(url, purpose=IndexPurpose.REPORTED_URL)
        )
    return report


def triaged_case(*urls: str, **report_fields: Any) -> Case:
    """triaged_case("https://files.example.test/a", **report_fields) -> the Case triage made for a new report
    (through services.triage_report: events, audit entries and the hosts_found hook as in production)."""
    report = store_report(*urls, **report_fields)
    result = services.triage_report(report_id=report.pk)
    return Case.objects.get(pk=result.case_ids[0])


def claim_and_assess(case: Case, analyst: StaffUser, data: services.AssessmentInput) -> Assessment:
    """An analyst claims `case` and assesses it, through the services (four-eyes verdicts wait for review)."""
    services.claim_case(case=case, analyst=analyst)
    case.refresh_from_db()
    return services.assess_case(case=case, analyst=analyst, data=data, expected_version=case.version)


def make_case(*, kind: str = ReportKind.ONLINE_MATERIAL, state: str = CaseState.TRIAGED, **fields: Any) -> Case:
    """A bare Case row (no report, no event): for tests of what reads cases by host, state or kind."""
    return Case.objects.create(kind=kind, state=state, **fields)


def make_cases(rows: Iterable[Mapping[str, Any]]) -> list[Case]:
    """Many bare Case rows in one bulk insert (each row: Case fields; kind defaults to online material)."""
    return Case.objects.bulk_create([Case(**{"kind": ReportKind.ONLINE_MATERIAL, **row}) for row in rows])


def make_assessed_case(
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
    description: str = "A neutral test description.",
    contact: str = "reporter@example.test",
    report_triaged: bool = False,
    victim_age_group: str = "prepubescent",
    victim_gender: str = "female",
    site_type: str = "image_host",
    **assessment: Any,
) -> Case:
    """Raw rows of a case that has been assessed: the case (hosting country `country`), one report and its
    URL (indexed as triage and intake index them), an assessment (`verdict`, `status`; none if verdict is
    empty) and, with `hosting` and a country, the host's facts as a trace leaves them (add_host_facts).
    `with_url=False` makes a situation case (no URL)."""
    analyst = analyst or known_staff_user("analyst", email=FACTORY_ANALYST)
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
        description=description,
        contact=contact,
        situation_case=None if url else case,
        triaged_at=received_at if report_triaged else None,
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
            victim_age_group=victim_age_group,
            victim_gender=victim_gender,
            site_type=site_type,
            **assessment,
        )
    if hosting and country and url:
        add_host_facts(host=host, country=country, abuse_email=abuse_email)
    return case


def add_host_facts(
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
    trace_id: int | None = None,
) -> None:
    """Hosting facts as tracing leaves them for the other apps (one trace, one address): the host's newest
    facts, kept by cases through services.record_host_facts (tracing's own tests check that a trace writes
    exactly these)."""
    with transaction.atomic():
        services.record_host_facts(
            host=host,
            found_at=found_at or timezone.now(),
            trace_id=trace_id,
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
