"""Finding cases by what staff type into the search box: a case number, a receipt code, a URL or a domain."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from hotline.cases.blind_indexes import receipt_index, url_index
from hotline.cases.canonical import UnacceptableUrl, canonicalize_url
from hotline.cases.models import Case, Report, ReportedUrl
from hotline.cases.selectors.links import cases_of_reports
from hotline.cases.selectors.queue import QueueItem, queue_items
from hotline.core.crypto import IndexPurpose, blind_index

RECEIPT_RE = re.compile(r"^[\d\s-]{16,24}$")
CASE_ID_RE = re.compile(r"^#?\d{1,12}$")
DOMAIN_RE = re.compile(r"^[a-z0-9.-]+\.[a-z0-9-]+\.?$", re.IGNORECASE)


@dataclass
class SearchResult:
    kind: str  # "case_id", "receipt", "url", "domain", "none"
    cases: list[QueueItem]
    problem: str = ""


def search_cases(*, query: str, limit: int = 50) -> SearchResult:
    """Find cases by case id, receipt code, exact URL (canonicalised, then blind index) or domain/host."""
    q = query.strip()
    if not q:
        return SearchResult(kind="none", cases=[])
    ordered = ("-priority", "created_at", "pk")
    digits = re.sub(r"[\s-]", "", q)
    if RECEIPT_RE.match(q) and len(digits) == 16 and digits.isdigit():
        reports = Report.objects.filter(receipt_index=receipt_index(digits)).values_list("pk", flat=True)
        return SearchResult(kind="receipt", cases=queue_items(cases_of_reports(reports).order_by(*ordered)[:limit]))
    if CASE_ID_RE.match(q):
        return SearchResult(kind="case_id", cases=queue_items(Case.objects.filter(pk=int(q.lstrip("#")))))
    if "/" in q or ":" in q:
        candidate = q if "://" in q else f"http://{q}"
        problem = ""
        cases = []
        try:
            canonical = canonicalize_url(candidate)
        except UnacceptableUrl as exc:
            problem = str(exc)
        else:
            index = blind_index(canonical.url, purpose=IndexPurpose.CASE_URL)
            cases = queue_items(Case.objects.filter(url_index=index))
        if not cases:  # URLs that could not be canonicalised at triage: match them as reported
            raw = ReportedUrl.objects.filter(url_index=url_index(q)).values_list("case_id", flat=True)
            cases = queue_items(Case.objects.filter(pk__in=list(raw)).order_by(*ordered)[:limit])
        return SearchResult(kind="url", cases=cases, problem="" if cases else problem)
    if DOMAIN_RE.match(q):
        name = q.lower().rstrip(".")
        with contextlib.suppress(UnicodeError):
            name = name.encode("idna").decode("ascii")
        cases = queue_items(Case.objects.filter(Q(registered_domain=name) | Q(host=name)).order_by(*ordered)[:limit])
        return SearchResult(kind="domain", cases=cases)
    return SearchResult(
        kind="none", cases=[], problem=_("Search for a case number, receipt code, full URL or domain name.")
    )
