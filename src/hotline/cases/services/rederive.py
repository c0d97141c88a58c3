"""What the URL rules derive from a case's URL (canonical form, blind index, host, registered domain), derived
again after the rules or the Public Suffix List changed (manage.py rederive_cases)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from hotline.cases.canonical import UnacceptableUrl, canonicalize_url
from hotline.cases.models import Case
from hotline.cases.services._shared import SYSTEM
from hotline.core import audit
from hotline.core.bulk import update_rows
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.staff.models import StaffUser

REDERIVE_BATCH = 500


@dataclass
class RederivedCases:
    """What rederive_cases found (and, unless a dry run, wrote)."""

    examined: int = 0
    changed: int = 0  # cases whose canonical URL, blind index, host or registered domain changed
    urls_changed: int = 0  # of those, cases whose canonical URL (and so blind index) changed
    collisions: list[tuple[int, int]] = field(default_factory=list)  # (case, case it now equals): by hand
    dry_run: bool = True
    examples: list[tuple[int, str, str]] = field(default_factory=list)  # (case id, what, "before -> after")


def rederive_cases(*, dry_run: bool, actor: StaffUser | str = SYSTEM) -> RederivedCases:
    """Recompute what the URL rules derive from each URL case (canonical form, its blind index, host,
    registered domain) with the rules and the Public Suffix List installed now.

    A newer suffix list moves cases between "related" groups, and a changed rule can give a stored URL
    another canonical form; nothing moves until an operator runs this (manage.py rederive_cases).
    With dry_run nothing is written. A case whose new canonical form is that of another case is left
    as it is and reported: merging two cases is an analyst's decision. Each batch of cases is locked,
    compared under the lock and written in one transaction with one audit entry (case ids and counts).
    """
    out = RederivedCases(dry_run=dry_run)
    last_id = 0
    fields = ("pk", "canonical_url", "url_index", "host", "registered_domain", "version", "updated_at")
    while batch := list(
        Case.objects.exclude(url_index=None)
        .filter(pk__gt=last_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:REDERIVE_BATCH]
    ):
        last_id = batch[-1]
        out.examined += len(batch)
        with transaction.atomic():
            rows = Case.objects.filter(pk__in=batch).order_by("pk")
            changed = [
                case for case in (rows if dry_run else rows.select_for_update()).only(*fields) if _rederive(case, out)
            ]
            if changed and not dry_run:
                update_rows(
                    Case, changed, ("canonical_url", "url_index", "host", "registered_domain", "version", "updated_at")
                )
                audit.record(
                    actor=actor,
                    action="cases.rederived",
                    object_type="case",
                    object_id=changed[0].pk,
                    details={"case_ids": [case.pk for case in changed], "changed": len(changed)},
                )
    return out


def _rederive(case: Case, out: RederivedCases) -> bool:
    """Apply today's rules to one case in memory; True if anything changed (and may be written)."""
    try:
        found = canonicalize_url(case.canonical_url or "")
    except UnacceptableUrl:
        return False  # a stored canonical URL the rules now refuse: left for a human, never dropped
    index = blind_index(found.url, purpose=IndexPurpose.CASE_URL)
    if index != case.url_index:
        other = Case.objects.filter(url_index=index).exclude(pk=case.pk).values_list("pk", flat=True).first()
        if other is not None:
            out.collisions.append((case.pk, other))
            return False
    after = {"url": found.url, "host": found.host[:253], "domain": found.registered_domain[:253]}
    before = {"url": case.canonical_url, "host": case.host, "domain": case.registered_domain}
    if after == before:
        return False
    for what in ("url", "host", "domain"):
        if before[what] != after[what] and len(out.examples) < 20:
            shown = (before[what] or "(none)", after[what] or "(none)")
            out.examples.append((case.pk, what, "" if what == "url" else f"{shown[0]} -> {shown[1]}"))
    out.changed += 1
    out.urls_changed += before["url"] != after["url"]
    case.canonical_url, case.url_index = found.url, index
    case.host, case.registered_domain = after["host"], after["domain"]
    case.version += 1
    case.updated_at = timezone.now()
    return True
