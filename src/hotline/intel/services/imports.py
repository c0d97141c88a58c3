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
    path: Path,
    file_format: str,
    hash_type: HashType | None,
    progress: Progress | None = None,
    total: int | None = None,
    stage: _Stage | None = None,
) -> ImportOutcome:
    """The one pass over the file: count the good rows and hand them to `stage` (once the file has a bad row, no
    more), collect the bad ones (the first ERRORS_KEPT). Nothing is written to the list."""
    outcome = ImportOutcome()
    seen = 0
    chunk: list[tuple[str, str, int | None, str]] = []
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
        if stage is not None and not outcome.error_count:
            chunk.append((item.hash.type.value, item.hash.hex, item.hash.quality, item.label))
            if len(chunk) >= CHUNK:
                stage.add(chunk)
                chunk = []
        if progress is not None and seen % CHUNK == 0:
            progress("checking", item.line, total)
    if stage is not None and chunk and not outcome.error_count:
        stage.add(chunk)
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
    stage = _Stage()
    try:
        outcome = check_file(path, file_format, hash_type, progress, total, stage)
        if not outcome.refused:
            _commit_import(hash_list, stage, outcome, actor, file_format, import_id)
    finally:
        stage.drop()
    if outcome.refused:
        _audit_refused(hash_list, outcome, actor, file_format, import_id)
    return outcome


def _audit_refused(
    hash_list: HashList, outcome: ImportOutcome, actor: object, file_format: str, import_id: int | None
) -> None:
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


def _commit_import(
    hash_list: HashList, stage: _Stage, outcome: ImportOutcome, actor: object, file_format: str, import_id: int | None
) -> None:
    """The staged rows into the list, in one transaction with the list's counts and the audit entry."""
    details: dict[str, object] = {"list": hash_list.pk, "format": file_format, "import": import_id}
    now = timezone.now()
    with transaction.atomic():
        locked = HashList.objects.select_for_update().get(pk=hash_list.pk)
        before = HashEntry.objects.filter(hash_list=locked).count()
        stage.insert_into(locked.pk, now)
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


def _copy_line(hash_type: str, value: str, quality: int | None, label: str) -> str:
    """One row of PostgreSQL's COPY text format: tab-separated, \\N for null, a backslash doubled."""
    shown = "\\N" if quality is None else str(quality)
    return "\t".join((hash_type, value, shown, label.replace("\\", "\\\\"))) + "\n"


_COPY_STAGE = "COPY intel_import_stage (hash_type, value, quality, label) FROM STDIN"


class _Stage:
    """A temporary table on this connection that the checking pass fills (PostgreSQL: COPY, SQLite: executemany),
    so that the file is parsed once; it outlives the checking pass's own small transactions (a temporary table
    lives as long as the connection), never becomes part of a list unless the whole file is good, and is dropped
    at the end either way. The rows then go into the list in one INSERT ... SELECT in index order: the B-trees of
    the list's indexes fill from one end to the other instead of at random (bench/intel.py --import-only)."""

    def __init__(self) -> None:
        self.rows = 0
        self.postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS intel_import_stage")
            # On PostgreSQL the stage sorts in the byte order of the entries' columns and their unique index
            # (migration 0003), so the rows reach the index in its own order.
            collate = ' COLLATE "C"' if self.postgres else ""
            cursor.execute(
                f"CREATE TEMPORARY TABLE intel_import_stage (hash_type text{collate}, value text{collate}, "
                "quality smallint, label text)"
            )

    def add(self, chunk: list[tuple[str, str, int | None, str]]) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                # COPY's text format written a chunk at a time (row by row costs psycopg twice as much).
                with cursor.cursor.copy(
                    "COPY intel_import_stage (hash_type, value, quality, label) FROM STDIN"
                ) as copy:
                    copy.write("".join(_copy_line(*row) for row in chunk))
            else:
                # One transaction per chunk: in autocommit SQLite would make each row a transaction of its own.
                with transaction.atomic():
                    cursor.executemany("INSERT INTO intel_import_stage VALUES (%s, %s, %s, %s)", chunk)
        self.rows += len(chunk)

    def insert_into(self, list_id: int, now: datetime) -> None:
        """Upsert the staged rows into the list, inside the caller's transaction: a new hash is added; a known one
        gets its last seen moved on (and a label or quality the file gives)."""
        with connection.cursor() as cursor:
            if self.postgres:
                # The sort of a million rows by (type, value) in memory rather than on disk, for this transaction.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(
                    "INSERT INTO intel_hashentry "
                    "(hash_list_id, hash_type, value, quality, label, first_seen, last_seen) "
                    "SELECT DISTINCT ON (hash_type, value) %s, hash_type, value, quality, label, %s, %s "
                    "FROM intel_import_stage ORDER BY hash_type, value "
                    "ON CONFLICT (hash_list_id, hash_type, value) DO UPDATE SET last_seen = EXCLUDED.last_seen, "
                    "quality = COALESCE(EXCLUDED.quality, intel_hashentry.quality), "
                    "label = CASE WHEN EXCLUDED.label <> '' THEN EXCLUDED.label ELSE intel_hashentry.label END",
                    [list_id, now, now],
                )
            else:
                stamp = connection.ops.adapt_datetimefield_value(now)
                cursor.execute(
                    "INSERT INTO intel_hashentry "
                    "(hash_list_id, hash_type, value, quality, label, first_seen, last_seen) "
                    "SELECT %s, hash_type, value, quality, label, %s, %s FROM intel_import_stage WHERE true "
                    "ORDER BY hash_type, value "
                    "ON CONFLICT (hash_list_id, hash_type, value) DO UPDATE SET last_seen = excluded.last_seen, "
                    "quality = COALESCE(excluded.quality, intel_hashentry.quality), "
                    "label = CASE WHEN excluded.label <> '' THEN excluded.label ELSE intel_hashentry.label END",
                    [list_id, stamp, stamp],
                )

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS intel_import_stage")
