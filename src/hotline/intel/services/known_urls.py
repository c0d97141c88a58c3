"""Importing a known-URL list (the shape IWF gives its members: URL, category, date): every row checked first
(each URL canonicalised by cases.canonical, the rules cases are deduplicated by), every bad row reported by its
line, and a file with any bad row imports nothing. URLs are stored encrypted with the blind index cases keeps of a
canonical URL, so a case matches an entry by one indexed equality."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from hotline.cases.canonical import UnacceptableUrl, canonicalize_url
from hotline.core import audit
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.intel.core import RowError
from hotline.intel.models import KnownUrlEntry, KnownUrlList
from hotline.intel.services.imports import ERRORS_KEPT, Progress

CATEGORY_MAX = 64
_COLUMNS = {"url": "url", "address": "url", "category": "category", "date": "date", "listed": "date"}
_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class UrlRow:
    line: int
    url: str
    url_index: str
    registered_domain: str
    category: str
    listed_on: date | None


@dataclass
class UrlImportOutcome:
    rows: int = 0
    added: int = 0
    seen_again: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    dmy = _DMY.fullmatch(text)
    if dmy:
        return date(int(dmy.group(3)), int(dmy.group(2)), int(dmy.group(1)))
    raise ValueError(text)


def read_url_csv(lines: Iterator[str]) -> Iterator[UrlRow | RowError]:
    """Rows of a known-URL CSV: a header naming `url` and optionally `category` and `date` (ISO 8601 or
    day/month/year). Blank lines and lines starting with # are skipped."""
    numbered = ((n, t) for n, t in enumerate(lines, start=1) if t.strip() and not t.lstrip().startswith("#"))
    first = next(numbered, None)
    if first is None:
        yield RowError(1, "empty_file", "The file has no header row and no URLs.")
        return
    header_line, header_text = first
    header_text = header_text.removeprefix("\ufeff")
    delimiter = max(",;\t", key=header_text.count)
    names = [c.strip().lower() for c in next(csv.reader([header_text], delimiter=delimiter))]
    unknown = [n for n in names if n not in _COLUMNS]
    if unknown or "url" not in [_COLUMNS.get(n) for n in names]:
        yield RowError(header_line, "bad_header", "The header must name the columns url, category and date.")
        return
    position = {_COLUMNS[n]: i for i, n in enumerate(names)}
    for line, text in numbered:
        try:
            cells = next(csv.reader([text], delimiter=delimiter))
        except csv.Error as error:
            yield RowError(line, "bad_csv", f"This line is not valid CSV: {error}.")
            continue
        if len(cells) > len(names):
            yield RowError(line, "wrong_columns", f"The row has {len(cells)} columns; the header has {len(names)}.")
            continue
        cells += [""] * (len(names) - len(cells))
        raw = cells[position["url"]].strip()
        try:
            canonical = canonicalize_url(raw)
        except UnacceptableUrl as error:
            yield RowError(line, "bad_url", f"This is not a web address Hotline can match: {error}")
            continue
        category = " ".join(cells[position["category"]].split()) if "category" in position else ""
        if len(category) > CATEGORY_MAX:
            yield RowError(line, "category_too_long", f"The category is longer than {CATEGORY_MAX} characters.")
            continue
        try:
            listed = _date(cells[position["date"]]) if "date" in position else None
        except ValueError:
            yield RowError(line, "bad_date", "The date must be written 2024-05-31 (or 31/05/2024).")
            continue
        yield UrlRow(
            line,
            canonical.url,
            blind_index(canonical.url, purpose=IndexPurpose.CASE_URL),
            canonical.registered_domain,
            category,
            listed,
        )


def _rows(path: Path) -> Iterator[UrlRow | RowError]:
    with path.open(encoding="utf-8", errors="strict", newline="") as handle:
        try:
            yield from read_url_csv(iter(handle))
        except UnicodeDecodeError:
            yield RowError(0, "not_utf8", "The file is not UTF-8 text.")


def import_url_file(
    *, url_list: KnownUrlList, path: Path, actor: object, import_id: int | None = None, progress: Progress | None = None
) -> UrlImportOutcome:
    """Import a known-URL CSV into `url_list`: all of it, or (any bad row) nothing; audited with counts only."""
    outcome = UrlImportOutcome()
    good: dict[str, UrlRow] = {}
    for item in _rows(path):
        if isinstance(item, RowError):
            outcome.error_count += 1
            if len(outcome.errors) < ERRORS_KEPT:
                outcome.errors.append(item)
            continue
        outcome.rows += 1
        good[item.url_index] = item
        if progress is not None and outcome.rows % CHUNK == 0:
            progress("checking", item.line, None)
    details: dict[str, object] = {"list": url_list.pk, "import": import_id}
    if outcome.error_count:
        with transaction.atomic():
            audit.record(
                actor=actor,  # type: ignore[arg-type]
                action="intel.url_list.import_refused",
                object_type="url_list",
                object_id=url_list.pk,
                details={**details, "rows": outcome.rows, "bad_rows": outcome.error_count},
            )
        return outcome
    now = timezone.now()
    with transaction.atomic():
        locked = KnownUrlList.objects.select_for_update().get(pk=url_list.pk)
        known = set(KnownUrlEntry.objects.filter(url_list=locked).values_list("url_index", flat=True))
        new = [
            KnownUrlEntry(
                url_list=locked,
                url=row.url,
                url_index=index,
                registered_domain=row.registered_domain,
                category=row.category,
                listed_on=row.listed_on,
                first_seen=now,
                last_seen=now,
            )
            for index, row in good.items()
            if index not in known
        ]
        KnownUrlEntry.objects.bulk_create(new, batch_size=CHUNK)
        again = sorted(set(good) & known)
        for start in range(0, len(again), CHUNK):
            KnownUrlEntry.objects.filter(url_list=locked, url_index__in=again[start : start + CHUNK]).update(
                last_seen=now
            )
        outcome.added, outcome.seen_again = len(new), outcome.rows - len(new)
        locked.entry_count = len(known) + len(new)
        locked.updated_at = now
        locked.save(update_fields=["entry_count", "updated_at"])
        audit.record(
            actor=actor,  # type: ignore[arg-type]
            action="intel.url_list.imported",
            object_type="url_list",
            object_id=locked.pk,
            details={**details, "rows": outcome.rows, "added": outcome.added, "seen_again": outcome.seen_again},
        )
    return outcome
