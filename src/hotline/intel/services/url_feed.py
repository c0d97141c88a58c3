"""Hotline's own list of confirmed, still-live illegal URLs for internet providers and filters: versions made when
the set changes (a case whose material was removed, or that closed, leaves the list at the next version), each
version kept encrypted, served by key (a partner key with the scope SCOPE_URL_LIST)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from hotline.cases.models import ILLEGAL_VERDICTS, Assessment, AssessmentStatus, Case, CaseState
from hotline.core import audit
from hotline.core.csv import BOM, format_row
from hotline.intel.models import UrlListVersion

SCOPE_URL_LIST = "urllist:read"  # the partner key scope of internet providers reading the list


def live_illegal_urls() -> list[str]:
    """Canonical URLs of cases with a confirmed illegal verdict that are still open (content not yet removed),
    sorted. Anonymised cases have no URL left and are not listed."""
    confirmed = Assessment.objects.filter(
        case=OuterRef("pk"), status=AssessmentStatus.CONFIRMED, verdict__in=sorted(ILLEGAL_VERDICTS)
    )
    rows = (
        Case.objects.filter(Exists(confirmed), erased_at=None, url_index__isnull=False)
        .exclude(state=CaseState.CLOSED)
        .only("canonical_url")
    )
    return sorted({case.canonical_url for case in rows.iterator(chunk_size=2000) if case.canonical_url})


def _digest(urls: list[str]) -> str:
    return hashlib.sha256("\n".join(urls).encode()).hexdigest()


def publish_url_list_version(*, now: datetime | None = None, actor: object = "system") -> UrlListVersion | None:
    """Make the next version when the set of live illegal URLs changed since the last one (audited with counts);
    None when it did not."""
    urls = live_illegal_urls()
    digest = _digest(urls)
    with transaction.atomic():
        latest = UrlListVersion.objects.select_for_update().order_by("-number").first()
        if latest is not None and latest.digest == digest:
            return None
        version = UrlListVersion.objects.create(
            number=(latest.number + 1) if latest else 1,
            built_at=now or timezone.now(),
            url_count=len(urls),
            urls=json.dumps(urls),
            digest=digest,
        )
        previous = set(json.loads(latest.urls or "[]")) if latest else set()
        audit.record(
            actor=actor,  # type: ignore[arg-type]
            action="intel.url_list_version.published",
            object_type="url_list_version",
            object_id=version.number,
            details={
                "urls": len(urls),
                "added": len(set(urls) - previous),
                "removed": len(previous - set(urls)),
            },
        )
    return version


def latest_version() -> UrlListVersion | None:
    return UrlListVersion.objects.order_by("-number").first()


def record_feed_read(*, key: object, version: UrlListVersion | None, file_format: str) -> None:
    """Who read which version (key id, never the key), audited."""
    with transaction.atomic():
        audit.record(
            actor=f"partner:{getattr(key, 'partner', '')}",
            action="intel.url_list_version.read",
            object_type="url_list_version",
            object_id=version.number if version else "",
            details={"key": getattr(key, "prefix", ""), "format": file_format},
        )


def feed_json(version: UrlListVersion | None) -> str:
    urls = json.loads(version.urls) if version and version.urls else []
    return json.dumps(
        {
            "list": "hotline-live-illegal-urls",
            "version": version.number if version else 0,
            "generated_at": version.built_at.isoformat() if version else None,
            "count": len(urls),
            "urls": urls,
        },
        indent=1,
    )


def feed_csv(version: UrlListVersion | None) -> Iterator[str]:
    """CSV with the version and time in comment lines, then one URL per row (formula-safe cells)."""
    urls = json.loads(version.urls) if version and version.urls else []
    yield BOM + f"# version {version.number if version else 0}\r\n"
    yield f"# generated_at {version.built_at.isoformat() if version else ''}\r\n"
    yield format_row(("url",))
    for url in urls:
        yield format_row((url,))
