"""Reads of the intel app: lists and their imports for the staff pages, a case's matches, and list exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from hotline.core.csv import BOM, format_row
from hotline.intel.models import (
    SELF_REPORTED_KEY,
    HashEntry,
    HashList,
    KnownUrlList,
    ListClassification,
    ListImport,
    ListMatch,
    TrustLevel,
)

SELF_REPORTED_LABEL = gettext_lazy("Self-reported (a young person's own images)")
EXPORT_CHUNK = 20_000


# What each bad-row code of an import means, in the staff member's language (the row's own message, in English,
# names the exact place; the import page shows it beside this sentence).
ROW_PROBLEMS = {
    "empty": gettext_lazy("The hash is empty."),
    "not_text": gettext_lazy("The hash is not text."),
    "unknown_type": gettext_lazy("Unknown hash type: use md5, sha1, sha256 or pdq."),
    "type_mismatch": gettext_lazy("The row's hash type is not the list's."),
    "no_type": gettext_lazy("The row names no hash type, and none was chosen for the file."),
    "not_hex": gettext_lazy("The hash has a character that is not a hex digit (0-9, a-f)."),
    "wrong_length": gettext_lazy("The hash has the wrong number of digits for its type."),
    "bad_base32": gettext_lazy("The SHA-1 is not valid base32."),
    "bad_quality": gettext_lazy("The PDQ quality must be a whole number from 0 to 100."),
    "quality_out_of_range": gettext_lazy("The PDQ quality must be a whole number from 0 to 100."),
    "quality_not_pdq": gettext_lazy("Only a PDQ hash has a quality."),
    "bad_label": gettext_lazy("The label must be text."),
    "label_too_long": gettext_lazy("The label is too long."),
    "empty_file": gettext_lazy("The file is empty."),
    "bad_header": gettext_lazy("The header row is not right."),
    "bad_csv": gettext_lazy("This line is not valid CSV."),
    "wrong_columns": gettext_lazy("The row has more columns than the header."),
    "bad_json": gettext_lazy("This is not valid JSON."),
    "bad_entry": gettext_lazy("This entry is not an object with a hash."),
    "unknown_field": gettext_lazy("The entry has a field that is not known."),
    "not_utf8": gettext_lazy("This line is not UTF-8 text."),
    "bad_url": gettext_lazy("This is not a web address that can be matched."),
    "category_too_long": gettext_lazy("The category is too long."),
    "bad_date": gettext_lazy("The date must be written 2024-05-31 (or 31/05/2024)."),
}


def import_errors(job: ListImport) -> list[dict[str, Any]]:
    """An import's bad rows for its page: line, the problem in words, and the row's own detail."""
    return [
        {"line": e.get("line"), "problem": str(ROW_PROBLEMS.get(e.get("code", ""), "")), "detail": e.get("message", "")}
        for e in job.errors
    ]


def list_label(hash_list: HashList) -> str:
    return str(SELF_REPORTED_LABEL) if hash_list.system_key == SELF_REPORTED_KEY else hash_list.name


def hash_lists() -> QuerySet[HashList]:
    return HashList.objects.order_by("name")


def url_lists() -> QuerySet[KnownUrlList]:
    return KnownUrlList.objects.order_by("name")


def imports_of(*, hash_list: HashList | None = None, url_list: KnownUrlList | None = None) -> QuerySet[ListImport]:
    if hash_list is not None:
        return ListImport.objects.filter(hash_list=hash_list)
    return ListImport.objects.filter(url_list=url_list)


def hash_list_entries(hash_list: HashList, *, limit: int = 50) -> list[HashEntry]:
    return list(HashEntry.objects.filter(hash_list=hash_list).order_by("-last_seen", "-pk")[:limit])


def confirm_verdict_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ListClassification.choices if value]


@dataclass(frozen=True)
class MatchView:
    pk: int
    case_id: int
    kind: str
    list_label: str
    summary: str
    classification: str
    classification_label: str
    trust_label: str
    distance: int | None
    matched_at: datetime
    confirmed_at: datetime | None


def _view(match: ListMatch) -> MatchView:
    from hotline.intel.services.matching import match_summary

    is_self = match.hash_list is not None and match.hash_list.system_key == SELF_REPORTED_KEY
    return MatchView(
        pk=match.pk,
        case_id=match.case_id,
        kind=match.get_kind_display(),
        list_label=str(SELF_REPORTED_LABEL) if is_self else match.list_name,
        summary=match_summary(match),
        classification=match.classification,
        classification_label=str(ListClassification(match.classification).label)
        if match.classification in ListClassification.values
        else "",
        trust_label=str(TrustLevel(match.trust_level).label) if match.trust_level in TrustLevel.values else "",
        distance=match.distance,
        matched_at=match.matched_at,
        confirmed_at=match.confirmed_at,
    )


def matches_of_case(*, case_id: int) -> list[MatchView]:
    rows = (
        ListMatch.objects.filter(case_id=case_id).select_related("hash_list").order_by("confirmed_at", "distance", "pk")
    )
    return [_view(m) for m in rows]


def recent_matches(*, limit: int = 100) -> list[MatchView]:
    rows = ListMatch.objects.select_related("hash_list").order_by("-matched_at", "-pk")[:limit]
    return [_view(m) for m in rows]


# --- exports ----------------------------------------------------------------------------------------------
EXPORT_COLUMNS = ("type", "hash", "quality", "label", "first_seen", "last_seen")


def _entries(hash_list: HashList) -> Iterator[tuple[Any, ...]]:
    rows = HashEntry.objects.filter(hash_list=hash_list).order_by("pk")
    yield from rows.values_list("hash_type", "value", "quality", "label", "first_seen", "last_seen").iterator(
        chunk_size=EXPORT_CHUNK
    )


def export_hash_list_csv(hash_list: HashList) -> Iterator[str]:
    """The list as CSV (the import's own columns, so an export imports again), every cell formula-safe."""
    yield BOM + format_row(EXPORT_COLUMNS)
    for kind, value, quality, label, first, last in _entries(hash_list):
        yield format_row((kind, value, "" if quality is None else quality, label, first.isoformat(), last.isoformat()))


def export_hash_list_json(hash_list: HashList, *, now: datetime) -> Iterator[str]:
    """The list as JSON: {"list": ..., "exported_at": ..., "hashes": [...]} (read_hash_json reads it back)."""
    head = {
        "list": hash_list.name,
        "source": hash_list.source,
        "classification": hash_list.classification,
        "exported_at": now.isoformat(),
    }
    yield json.dumps(head)[:-1] + ', "hashes": ['
    first_row = True
    for kind, value, quality, label, _first, _last in _entries(hash_list):
        item: dict[str, Any] = {"type": kind, "hash": value}
        if quality is not None:
            item["quality"] = quality
        if label:
            item["label"] = label
        yield ("\n" if first_row else ",\n") + json.dumps(item)
        first_row = False
    yield "\n]}\n"


def export_filename(hash_list: HashList, extension: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in hash_list.name.lower()).strip("-") or "list"
    return f"{safe}.{extension}"
