"""Importing a hash list file: every row checked first, every bad row reported by its line, and a file with any
bad row imports nothing. A good file is written in one transaction with the database's bulk path (PostgreSQL:
COPY into a temporary table, then one INSERT ... ON CONFLICT; SQLite: executemany of an upsert), so a million rows
take seconds and a failure half-way leaves the list as it was."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from hotline.core import audit
from hotline.intel.core import HashRow, HashType, RowError, read_hash_csv, read_hash_json
from hotline.intel.models import HashEntry, HashList

logger = logging.getLogger("hotline.intel")

ERRORS_KEPT = 1000  # bad rows kept (and shown) per import; all are counted
CHUNK = 20_000  # rows per bulk write and per progress step
FORMATS = ("csv", "json")

# progress(phase, rows done, rows in the file or None): "checking" (first pass), "writing" (second pass)
Progress = Callable[[str, int, int | None], None]


@dataclass
class ImportOutcome:
    rows: int = 0  # good rows read
    added: int = 0
    seen_again: int = 0  # already on the list, or repeated in the file: last seen moved on
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    has_pdq: bool = False

    @property
    def refused(self) -> bool:
        return self.error_count > 0


def count_lines(path: Path) -> int:
    """Lines in the file (for a progress bar): one fast pass over the bytes."""
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return lines


def _decoded_lines(path: Path, problems: list[RowError]) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 becomes a RowError (and is read with replacements)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(RowError(number, "not_utf8", "This line is not UTF-8 text."))
                yield raw.decode("utf-8", errors="replace")


def file_rows(path: Path, file_format: str, hash_type: HashType | None) -> Iterator[HashRow | RowError]:
    """Every row of a list file, good or bad, in file order (encoding problems among them)."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown list file format {file_format!r}")
    problems: list[RowError] = []
    if file_format == "csv":
        for item in read_hash_csv(_decoded_lines(path, problems), hash_type=hash_type):
            while problems:
                yield problems.pop(0)
            yield item
        yield from problems
        return
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        yield RowError(data.count(b"\n", 0, error.start) + 1, "not_utf8", "This line is not UTF-8 text.")
        return
    yield from read_hash_json(text, hash_type=hash_type)


def check_file(
    path: Path, file_format: str, hash_type: HashType | None, progress: Progress | None = None, total: int | None = None
) -> ImportOutcome:
    """The first pass: count the good rows, collect the bad ones (the first ERRORS_KEPT), write nothing."""
    outcome = ImportOutcome()
    seen = 0
    for item in file_rows(path, file_format, hash_type):
        seen += 1
        if isinstance(item, RowError):
            outcome.error_count += 1
            if len(outcome.errors) < ERRORS_KEPT:
                outcome.errors.append(item)
            continue
        outcome.rows += 1
        if item.hash.type is HashType.PDQ:
            outcome.has_pdq = True
        if progress is not None and seen % CHUNK == 0:
            progress("checking", item.line, total)
    if progress is not None:
        progress("checking", total or seen, total)
    return outcome


def import_hash_file(
    *,
    hash_list: HashList,
    path: Path,
    file_format: str,
    hash_type: HashType | None,
    actor: object,
    progress: Progress | None = None,
    import_id: int | None = None,
) -> ImportOutcome:
    """Import a list file into `hash_list`: all of it, or (any bad row) nothing. Audited either way, with counts
    only. The PDQ index is rebuilt by the worker afterwards when the file held PDQ hashes."""
    total = count_lines(path) if progress is not None else None
    outcome = check_file(path, file_format, hash_type, progress, total)
    details: dict[str, object] = {"list": hash_list.pk, "format": file_format, "import": import_id}
    if outcome.refused:
        with transaction.atomic():
            audit.record(
                actor=actor,  # type: ignore[arg-type]
                action="intel.hash_list.import_refused",
                object_type="hash_list",
                object_id=hash_list.pk,
                details={**details, "rows": outcome.rows, "bad_rows": outcome.error_count},
            )
        return outcome
    now = timezone.now()
    with transaction.atomic():
        locked = HashList.objects.select_for_update().get(pk=hash_list.pk)
        before = HashEntry.objects.filter(hash_list=locked).count()
        good = (item for item in file_rows(path, file_format, hash_type) if isinstance(item, HashRow))
        _write_entries(locked.pk, good, now, lambda done: progress("writing", done, outcome.rows) if progress else None)
        after = HashEntry.objects.filter(hash_list=locked).count()
        outcome.added = after - before
        outcome.seen_again = outcome.rows - outcome.added
        locked.entry_count = after
        locked.updated_at = now
        locked.save(update_fields=["entry_count", "updated_at"])
        audit.record(
            actor=actor,  # type: ignore[arg-type]
            action="intel.hash_list.imported",
            object_type="hash_list",
            object_id=locked.pk,
            details={**details, "rows": outcome.rows, "added": outcome.added, "seen_again": outcome.seen_again},
        )
        if outcome.has_pdq and locked.enabled:
            from hotline.intel.services.index import queue_index_rebuild

            queue_index_rebuild()
    hash_list.entry_count = locked.entry_count
    return outcome


def _chunks(rows: Iterator[HashRow]) -> Iterator[list[tuple[str, str, int | None, str]]]:
    chunk: list[tuple[str, str, int | None, str]] = []
    for row in rows:
        chunk.append((row.hash.type.value, row.hash.hex, row.hash.quality, row.label))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_entries(
    list_id: int, rows: Iterator[HashRow], now: datetime, step: Callable[[int], object], *, chunk_rows: int = CHUNK
) -> None:
    """Upsert the rows into the list, inside the caller's transaction: a new hash is added; a known one gets
    its last seen moved on (and a label or quality the file gives)."""
    done = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Dropped at commit, and here too: an import inside a longer transaction (tests) may come again.
            cursor.execute("DROP TABLE IF EXISTS intel_import_stage")
            cursor.execute(
                "CREATE TEMPORARY TABLE intel_import_stage "
                "(hash_type text, value text, quality smallint, label text) ON COMMIT DROP"
            )
            for chunk in _chunks(rows):
                with cursor.cursor.copy(
                    "COPY intel_import_stage (hash_type, value, quality, label) FROM STDIN"
                ) as copy:
                    for row in chunk:
                        copy.write_row(row)
                done += len(chunk)
                step(done)
            cursor.execute(
                "INSERT INTO intel_hashentry (hash_list_id, hash_type, value, quality, label, first_seen, last_seen) "
                "SELECT DISTINCT ON (hash_type, value) %s, hash_type, value, quality, label, %s, %s "
                "FROM intel_import_stage ORDER BY hash_type, value "
                "ON CONFLICT (hash_list_id, hash_type, value) DO UPDATE SET last_seen = EXCLUDED.last_seen, "
                "quality = COALESCE(EXCLUDED.quality, intel_hashentry.quality), "
                "label = CASE WHEN EXCLUDED.label <> '' THEN EXCLUDED.label ELSE intel_hashentry.label END",
                [list_id, now, now],
            )
            cursor.execute("DROP TABLE intel_import_stage")
        return
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        "INSERT INTO intel_hashentry (hash_list_id, hash_type, value, quality, label, first_seen, last_seen) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (hash_list_id, hash_type, value) DO UPDATE SET last_seen = excluded.last_seen, "
        "quality = COALESCE(excluded.quality, intel_hashentry.quality), "
        "label = CASE WHEN excluded.label <> '' THEN excluded.label ELSE intel_hashentry.label END"
    )
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, [(list_id, t, v, q, label, stamp, stamp) for t, v, q, label in chunk])
            done += len(chunk)
            step(done)
