"""Matching at triage (the receiver of cases.hooks.reports_triaged) and the analyst's confirmation of a match.

Exact hashes are matched by the database index on (type, value); PDQ hashes by Hamming distance against the
in-memory index (services/index.py), plus an exact lookup so that an entry added since the last build is still
found at distance 0. A case's canonical URL is matched by its blind index, its registered domain against lists that
name whole sites. Every match is a ListMatch row; the case gets its urgent signal through cases.services."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import services as case_services
from hotline.cases.hooks import TriagedCase
from hotline.cases.models import Case, Channel, ReportHash
from hotline.core import audit
from hotline.intel.errors import IntelError, MatchGone
from hotline.intel.models import (
    HashEntry,
    KnownUrlEntry,
    ListClassification,
    ListMatch,
    MatchKind,
)
from hotline.intel.services.index import search_pdq
from hotline.intel.services.lists import add_self_reported_hashes

logger = logging.getLogger("hotline.intel")
SYSTEM = "system"


@dataclass(frozen=True)
class _Hash:
    report_id: int
    kind: str
    value: str
    quality: int | None


def on_reports_triaged(sender: Any, cases: Sequence[TriagedCase], **kwargs: Any) -> None:
    """Receiver of reports_triaged: in a savepoint of triage's transaction, so a failure here (logged by class in
    cases.hooks) rolls back only the matching. One query when no list is in use and no report is an own-images
    report (triage's query count stays flat)."""
    hash_lists, url_lists = _lists_in_use()
    own = any(channel == Channel.OWN_IMAGES for case in cases for channel in case.channels)
    if not (hash_lists or url_lists or own):
        return
    with transaction.atomic():
        match_triaged_cases(cases, hash_lists=hash_lists or own, url_lists=url_lists)


def _lists_in_use() -> tuple[bool, bool]:
    """(any enabled hash list, any enabled known-URL list), in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM intel_hashlist WHERE enabled), "
            "EXISTS (SELECT 1 FROM intel_knownurllist WHERE enabled)"
        )
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1])


def match_triaged_cases(
    cases: Sequence[TriagedCase], *, hash_lists: bool = True, url_lists: bool = True
) -> dict[int, list[ListMatch]]:
    """Match the batch's reports' hashes and cases' URLs against the enabled lists. Returns the new matches by
    case id. The hashes of own-images reports go on the self-reported list afterwards (so a report never matches
    itself)."""
    report_ids = sorted({r for c in cases for r in c.report_ids})
    hashes: dict[int, list[_Hash]] = defaultdict(list)
    if hash_lists:
        rows = ReportHash.objects.filter(report_id__in=report_ids).values_list("report_id", "kind", "value", "quality")
        for report_id, kind, value, quality in rows:
            hashes[report_id].append(_Hash(report_id, kind, value, quality))
    found: dict[int, list[ListMatch]] = {}
    all_hashes = [h for items in hashes.values() for h in items]
    by_value = _hash_entries(all_hashes)
    by_url, by_domain = _url_entries(cases) if url_lists else ({}, {})
    for case in cases:
        matches = _case_hash_matches(case, hashes, by_value) + _case_url_matches(case, by_url, by_domain)
        if matches:
            found[case.case_id] = matches
    created = _store(found)
    own = {rid for c in cases for rid, ch in zip(c.report_ids, c.channels, strict=True) if ch == Channel.OWN_IMAGES}
    for report_id in sorted(own):
        add_self_reported_hashes(
            report_id=report_id, hashes=[(h.kind, h.value, h.quality) for h in hashes.get(report_id, [])], actor=SYSTEM
        )
    return created


def _hash_entries(items: list[_Hash]) -> dict[tuple[str, str], list[tuple[HashEntry, int]]]:
    """(type, value) of a report hash -> the enabled entries it matches and their distance."""
    out: dict[tuple[str, str], list[tuple[HashEntry, int]]] = defaultdict(list)
    if not items:
        return out
    values = sorted({h.value for h in items})
    wanted = {(h.kind, h.value) for h in items}
    # Type and value both: the unique index on (type, value, list) serves the lookup.
    types = sorted({h.kind for h in items})
    exact = HashEntry.objects.filter(hash_type__in=types, value__in=values, hash_list__enabled=True).select_related(
        "hash_list"
    )
    for entry in exact:
        if (entry.hash_type, entry.value) in wanted:
            out[(entry.hash_type, entry.value)].append((entry, 0))
    near: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for value in sorted({h.value for h in items if h.kind == "pdq"}):
        for match in search_pdq(value):
            if match.distance:
                near[match.id].append((value, match.distance))
    if near:
        # The index may be older than the lists: only entries still on an enabled list count.
        rows = HashEntry.objects.filter(pk__in=sorted(near), hash_type="pdq", hash_list__enabled=True)
        for entry in rows.select_related("hash_list"):
            for value, distance in near[entry.pk]:
                out[("pdq", value)].append((entry, distance))
    return out


def _case_hash_matches(
    case: TriagedCase, hashes: dict[int, list[_Hash]], by_value: dict[tuple[str, str], list[tuple[HashEntry, int]]]
) -> list[ListMatch]:
    best: dict[int, ListMatch] = {}
    for report_id in case.report_ids:
        for item in hashes.get(report_id, []):
            for entry, distance in by_value.get((item.kind, item.value), []):
                current = best.get(entry.pk)
                if current is not None and (current.distance or 0) <= distance:
                    continue
                best[entry.pk] = ListMatch(
                    case_id=case.case_id,
                    kind=MatchKind.PDQ if distance else MatchKind.HASH,
                    hash_list=entry.hash_list,
                    hash_entry=entry,
                    list_name=entry.hash_list.name,
                    classification=entry.hash_list.classification,
                    trust_level=entry.hash_list.trust_level,
                    hash_type=entry.hash_type,
                    distance=distance,
                    report_id=report_id,
                )
    return list(best.values())


def _url_entries(
    cases: Sequence[TriagedCase],
) -> tuple[dict[str, list[KnownUrlEntry]], dict[str, list[KnownUrlEntry]]]:
    """Entries of enabled lists by URL blind index, and (lists naming whole sites) by registered domain."""
    indexes = sorted({c.url_index for c in cases if c.url_index})
    domains = sorted({c.registered_domain for c in cases if c.registered_domain})
    by_url: dict[str, list[KnownUrlEntry]] = defaultdict(list)
    by_domain: dict[str, list[KnownUrlEntry]] = defaultdict(list)
    if not indexes and not domains:
        return by_url, by_domain
    query = Q(url_index__in=indexes) | Q(registered_domain__in=domains, url_list__match_registered_domain=True)
    for entry in KnownUrlEntry.objects.filter(query, url_list__enabled=True).select_related("url_list"):
        if entry.url_index in indexes:
            by_url[entry.url_index].append(entry)
        if entry.url_list.match_registered_domain and entry.registered_domain in domains:
            by_domain[entry.registered_domain].append(entry)
    return by_url, by_domain


def _case_url_matches(
    case: TriagedCase, by_url: dict[str, list[KnownUrlEntry]], by_domain: dict[str, list[KnownUrlEntry]]
) -> list[ListMatch]:
    out: dict[int, ListMatch] = {}
    for entry in by_url.get(case.url_index or "", []):
        out[entry.pk] = _url_match(case, entry, MatchKind.URL)
    for entry in by_domain.get(case.registered_domain, []) if case.registered_domain else []:
        out.setdefault(entry.pk, _url_match(case, entry, MatchKind.DOMAIN))
    return list(out.values())


def _url_match(case: TriagedCase, entry: KnownUrlEntry, kind: str) -> ListMatch:
    return ListMatch(
        case_id=case.case_id,
        kind=kind,
        url_list=entry.url_list,
        url_entry=entry,
        list_name=entry.url_list.name,
        classification=entry.url_list.classification,
        trust_level=entry.url_list.trust_level,
        report_id=case.report_ids[0] if case.report_ids else None,
    )


def _store(found: dict[int, list[ListMatch]]) -> dict[int, list[ListMatch]]:
    if not found:
        return {}
    # A case seen again keeps its first match of an entry (the unique constraints); only new ones are told.
    existing = set(
        ListMatch.objects.filter(case_id__in=sorted(found)).values_list("case_id", "hash_entry_id", "url_entry_id")
    )
    created: dict[int, list[ListMatch]] = {}
    for case_id, matches in found.items():
        fresh = [m for m in matches if (case_id, m.hash_entry_id, m.url_entry_id) not in existing]
        if fresh:
            created[case_id] = fresh
    rows = [m for matches in created.values() for m in matches]
    ListMatch.objects.bulk_create(rows)
    for case_id, matches in created.items():
        hash_match = any(m.hash_entry_id for m in matches)
        url_match = any(m.url_entry_id for m in matches)
        case_services.record_list_match(
            case_id=case_id,
            hash_list_match=hash_match,
            known_url_match=url_match,
            actor=SYSTEM,
            details={
                "lists": sorted({m.list_name for m in matches}),
                "kinds": sorted({m.kind for m in matches}),
                "distance": min((m.distance for m in matches if m.distance is not None), default=None),
                "matches": [m.pk for m in matches],
            },
        )
    audit.record(
        actor=SYSTEM,
        action="intel.lists_matched",
        object_type="case",
        object_id=min(created),
        details={"cases": {str(case_id): [m.pk for m in matches] for case_id, matches in sorted(created.items())}},
    )
    return created


# --- the analyst's confirmation --------------------------------------------------------------------------
def match_summary(match: ListMatch) -> str:
    """The classification text a match pre-fills: "Known material: match to list X (distance d)."."""
    if match.distance:
        return _("Known material: match to list %(list)s (distance %(distance)s).") % {
            "list": match.list_name,
            "distance": match.distance,
        }
    if match.kind in (MatchKind.URL, MatchKind.DOMAIN):
        return _("Known material: match to list %(list)s (same URL or site).") % {"list": match.list_name}
    return _("Known material: match to list %(list)s (identical hash).") % {"list": match.list_name}


def confirm_match(*, match_id: int, analyst: Any, verdict: str) -> ListMatch:
    """The analyst accepts the list's classification from the case page, without opening the material: the
    case is claimed (if it is free), assessed with the match as the reasoning, and every open match of the
    case is marked confirmed. No exposure session is started, so the exposure log counts none."""
    if verdict not in ListClassification.values or not verdict:
        raise IntelError(_("Choose the verdict the match confirms."))
    with transaction.atomic():
        match = ListMatch.objects.select_for_update().filter(pk=match_id).first()
        if match is None:
            raise MatchGone(_("This match no longer exists."))
        case = Case.objects.get(pk=match.case_id)
        holder = case.claim_holder()
        if holder is None or holder.pk != analyst.pk:
            case = case_services.claim_case(case=case, analyst=analyst)
        assessment = case_services.assess_case(
            case=case,
            analyst=analyst,
            data=case_services.AssessmentInput(verdict=verdict, kind=case.kind, reasoning=match_summary(match)),
            expected_version=None,
        )
        now = timezone.now()
        confirmed = list(
            ListMatch.objects.filter(case_id=match.case_id, confirmed_at=None).values_list("pk", flat=True)
        )
        ListMatch.objects.filter(pk__in=confirmed).update(confirmed_at=now, confirmed_by=analyst)
        audit.record(
            actor=analyst,
            action="intel.match_confirmed",
            object_type="case",
            object_id=match.case_id,
            # The material was not opened: the exposure log has no session for this assessment.
            details={"matches": confirmed, "assessment": assessment.pk, "verdict": verdict, "exposure": "none"},
        )
    match.refresh_from_db()
    return match
