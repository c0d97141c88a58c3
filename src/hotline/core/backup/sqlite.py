"""SQLite: a consistent snapshot with SQLite's online backup API (safe while Hotline writes), compressed into the
backup; restore writes it out into a new file, and the new file replaces the database in one rename."""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hotline.core.backup.stream import BackupFileError

READ = 1 << 20


def source_name(settings_dict: dict[str, Any]) -> tuple[str, bool]:
    """(what sqlite3.connect takes, whether it is a URI) of the database Django uses."""
    name = str(settings_dict["NAME"])
    return name, name.startswith("file:")


def snapshot(settings_dict: dict[str, Any], target: Path) -> None:
    """Copy the live database into `target` in one step of the backup API: one read transaction over the
    whole copy, so the copy is the database at one moment, however much is written meanwhile (WAL mode)."""
    name, uri = source_name(settings_dict)
    source = sqlite3.connect(name, uri=uri, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # Out of WAL mode: the copy is one self-contained file (Hotline turns WAL on again when it opens it).
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def compressed(path: Path) -> Iterator[bytes]:
    compressor = zlib.compressobj(6)
    with open(path, "rb") as snapshot_file:
        while block := snapshot_file.read(READ):
            if data := compressor.compress(block):
                yield data
    yield compressor.flush()


def write_out(pieces: Iterator[bytes], target: Path) -> None:
    """Decompress the snapshot into the new file `target`, a bounded piece at a time (never a whole file)."""
    decompressor = zlib.decompressobj()
    with open(target, "xb") as out:
        for piece in pieces:
            data = piece
            while data:
                out.write(decompressor.decompress(data, READ))
                data = decompressor.unconsumed_tail
        out.write(decompressor.flush())
        if not decompressor.eof:
            raise BackupFileError("The database snapshot in the backup is incomplete.")
        out.flush()
        os.fsync(out.fileno())


def integrity_check(path: Path) -> None:
    check = sqlite3.connect(path)
    try:
        result = check.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"The restored database is not a sound SQLite file ({exc}).") from None
    finally:
        check.close()
    if result != [("ok",)]:
        raise BackupFileError("The restored database fails SQLite's integrity check.")


def swap(live: Path, restored: Path, *, stamp: str) -> Path | None:
    """Put `restored` in the place of `live` in one rename; the database it replaces stays beside it as
    `<name>.before-restore-<stamp>` (returned; None when there was none). The web server and the workers must
    be stopped: a process that still has the old file open would go on writing into the kept copy."""
    kept: Path | None = None
    if live.exists():
        # Fold the old database's write-ahead log into it, so the kept copy is whole on its own and no stale
        # -wal file is left for the new database to pick up.
        old = sqlite3.connect(live, timeout=30)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.execute("PRAGMA journal_mode=DELETE")
        finally:
            old.close()
        kept = live.with_name(f"{live.name}.before-restore-{stamp}")
        os.link(live, kept)  # the old database keeps existing under the new name, whatever happens next
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    os.replace(restored, live)
    return kept
