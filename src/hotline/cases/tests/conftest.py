"""Fixtures of the casework tests: reports as intake stores them, triaged with the real service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from hotline.cases.models import Channel, NexusHint, Report, ReportedUrl, ReportKind
from hotline.core.crypto import IndexPurpose, blind_index


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
) -> Report:
    """A Report with its ReportedUrls, stored the way intake stores them (URL encrypted + blind index)."""
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
    )
    for i, url in enumerate(urls):
        ReportedUrl.objects.create(
            report=report, position=i, url=url, url_index=blind_index(url, purpose=IndexPurpose.REPORTED_URL)
        )
    return report


@pytest.fixture
def report_factory(db: Any) -> Callable[..., Report]:
    return store_report


@pytest.fixture
def triaged_case(db: Any) -> Callable[..., Any]:
    """triaged_case("https://files.example.test/a", **report_fields) -> the Case triage made for it."""
    from hotline.cases import services
    from hotline.cases.models import Case

    def make(*urls: str, **fields: Any) -> Case:
        report = store_report(*urls, **fields)
        result = services.triage_report(report_id=report.pk)
        return Case.objects.get(pk=result.case_ids[0])

    return make
