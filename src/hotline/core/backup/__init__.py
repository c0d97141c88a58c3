"""Backups that restore: `make_backup` writes one encrypted file (a consistent snapshot of the database and its
manifest), `restore_backup` checks a file whole, restores it into a new database, proves the new database equal
to the snapshot table by table and its audit chain intact, and only then puts it in the place of the live one.

The pieces: `stream` (the encrypted file format), `manifest` (what a snapshot holds), `sqlite` and `postgres`
(snapshot and restore of each database). Commands: `manage.py backup`, `manage.py restore`; docs/operating.md.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from hotline.core import audit, conf, crypto
from hotline.core.backup import manifest as manifests
from hotline.core.backup import postgres, sqlite
from hotline.core.backup.stream import BackupFileError, EncryptedReader, EncryptedWriter, PayloadReader, PayloadWriter

__all__ = ["BackupFileError", "BackupResult", "RestoreResult", "make_backup", "restore_backup"]

SUFFIX = ".hlbk"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    sha256: str  # of the whole file, as `sha256sum` prints it
    tables: int
    rows: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    rows: int
    audit_entries: int
    seconds: float
    replaced: bool  # False: --verify-only (the live database was not touched)
    kept: str | None  # where the database it replaced was kept


class _HashingFile:
    """Writes through to a file and hashes what it writes (the checksum beside the backup)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)


@contextlib.contextmanager
def _extra_connection(**overrides: Any) -> Iterator[Any]:
    """A Django connection of its own to the live database (or, with NAME=..., another one), outside every
    transaction of the caller; closed and forgotten afterwards. It is known to the ORM by its alias
    (`.using(alias)`) but is not a configured database (not in settings.DATABASES)."""
    from django.db.utils import load_backend

    alias = f"hotline_backup_{uuid.uuid4().hex[:12]}"
    settings_dict = copy.deepcopy(dict(connections[DEFAULT_DB_ALIAS].settings_dict))
    settings_dict.update(overrides)
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    connections[alias] = wrapper
    try:
        yield wrapper
    finally:
        with contextlib.suppress(Exception):
            wrapper.close()
        with contextlib.suppress(AttributeError):
            del connections[alias]


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%dT%H%M%SZ")


def default_path() -> Path:
    return conf.backup_dir() / f"hotline-{_stamp()}{SUFFIX}"


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


# --- backup ------------------------------------------------------------------------------------------
def make_backup(output: Path) -> BackupResult:
    """Write the encrypted backup to `output` (through `<output>.partial`, renamed once whole) and its
    checksum to `<output>.sha256`."""
    keys = conf.backup_keys()
    if not keys:
        raise BackupFileError(
            "HOTLINE_BACKUP_KEY is not set: backups are encrypted with it (see docs/operating.md, Backups)."
        )
    key_id, key = keys[0]
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupFileError(f"Backups of a {vendor} database are not supported (SQLite and PostgreSQL are).")
    started = time.monotonic()
    _private_dir(output.parent)
    partial = output.with_name(output.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            out = _HashingFile(raw)
            payload = PayloadWriter(EncryptedWriter(out, key_id=key_id, key=key))  # type: ignore[arg-type]
            found = _backup_sqlite(payload) if vendor == "sqlite" else _backup_postgres(payload)
            payload.end()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    digest = out.digest.hexdigest()
    Path(f"{output}.sha256").write_text(f"{digest}  {output.name}\n")
    tables = found["tables"]
    return BackupResult(
        path=output,
        bytes=out.size,
        sha256=digest,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        seconds=time.monotonic() - started,
    )


def _work_dir() -> Path:
    """Beside the live SQLite file (same disk, same protection as the database itself), else under var/."""
    name, uri = sqlite.source_name(connections[DEFAULT_DB_ALIAS].settings_dict)
    base = Path(settings.VAR_DIR) if uri or name == ":memory:" else Path(name).parent
    _private_dir(base)
    return base


def _backup_sqlite(payload: PayloadWriter) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=_work_dir(), prefix=".backup-") as work:
        snapshot = Path(work) / "snapshot.sqlite3"
        sqlite.snapshot(connections[DEFAULT_DB_ALIAS].settings_dict, snapshot)
        with _extra_connection(NAME=str(snapshot), OPTIONS={}) as snapshot_connection:
            found = manifests.build(snapshot_connection, snapshot={"format": "sqlite3", "compression": "zlib"})
        payload.manifest(found)
        for piece in sqlite.compressed(snapshot):
            payload.data(piece)
    return found


def _backup_postgres(payload: PayloadWriter) -> dict[str, Any]:
    with _extra_connection() as snapshot_connection, transaction.atomic(using=snapshot_connection.alias):
        with snapshot_connection.cursor() as cursor:
            # The manifest and pg_dump read the same snapshot: row counts and checksums describe the dump.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
        found = manifests.build(snapshot_connection, snapshot={"format": "pg_dump-custom", "compression": "pg_dump"})
        payload.manifest(found)
        postgres.dump(snapshot_connection.settings_dict, snapshot_id, payload.data)
    return found


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups written to `directory` by `backup` (and their checksums)."""
    backups = sorted(directory.glob(f"hotline-*{SUFFIX}"))
    removed = backups[:-keep] if keep else backups
    for path in removed:
        path.unlink(missing_ok=True)
        Path(f"{path}.sha256").unlink(missing_ok=True)
    return removed


# --- restore -----------------------------------------------------------------------------------------
class RestoreRefused(BackupFileError):
    """The file is whole, but restoring it here would be wrong (another schema, other keys, ...)."""


def check_manifest(found: dict[str, Any], *, vendor: str) -> None:
    """Refuse, before any database is touched, a backup this installation cannot take as it is."""
    if found.get("manifest_format") != manifests.MANIFEST_FORMAT:
        raise RestoreRefused("The backup's manifest is of an unknown format: restore it with the release that made it.")
    made_on = found.get("database", {}).get("vendor")
    if made_on != vendor:
        raise RestoreRefused(
            f"This is a backup of a {made_on} database and Hotline is configured for {vendor} (DATABASE_URL): "
            f"a backup restores onto the kind of database it was made from."
        )
    theirs = {tuple(m) for m in found.get("schema", {}).get("migrations", [])}
    ours = {tuple(m) for m in manifests.code_migrations()}
    if theirs != ours:
        missing, extra = sorted(ours - theirs), sorted(theirs - ours)
        detail = []
        if missing:
            detail.append(f"it lacks {len(missing)} migration(s) of this release (first: {'.'.join(missing[0])})")
        if extra:
            detail.append(f"it has {len(extra)} migration(s) this release does not know (first: {'.'.join(extra[0])})")
        raise RestoreRefused(
            "This backup is of another schema version: " + "; ".join(detail) + ". Restore it with the release "
            "that made it (then upgrade as usual: manage.py migrate)."
        )
    ring = crypto.keyring()
    data_keys = found.get("data_keys", {})
    needed = sorted(data_keys.get("in_use", {}))
    missing_keys = [kid for kid in needed if kid not in ring.keys]
    if missing_keys:
        raise RestoreRefused(
            f"The backup holds values encrypted with the data key(s) {', '.join(missing_keys)}, which "
            f"HOTLINE_DATA_KEYS lacks: add them (with the keys kept for this backup), then restore."
        )
    checks = data_keys.get("check", {})
    wrong = [kid for kid in needed if kid in checks and checks[kid] != manifests.key_fingerprint(ring.keys[kid])]
    if wrong:
        raise RestoreRefused(
            f"HOTLINE_DATA_KEYS has a different key under the id(s) {', '.join(wrong)} than the one the backup's "
            f"values were encrypted with: set the keys of this backup."
        )
    if found.get("index_key_check") != manifests.key_fingerprint(settings.HOTLINE_INDEX_KEY):
        raise RestoreRefused(
            "HOTLINE_INDEX_KEY differs from the one this backup was made with: every lookup by URL, receipt or "
            "email would miss. Set the index key of this backup."
        )


def _compare(found: dict[str, Any], restored: dict[str, Any]) -> None:
    expected, got = found["tables"], restored["tables"]
    differing = sorted(name for name in set(expected) | set(got) if expected.get(name) != got.get(name))
    if differing:
        raise BackupFileError(
            f"The restored database differs from the backup's snapshot in {len(differing)} table(s) "
            f"({', '.join(differing[:5])}): the live database was not touched."
        )
    for key in ("schema", "audit_head"):
        if found[key] != restored[key]:
            raise BackupFileError(f"The restored database's {key.replace('_', ' ')} differs from the backup's.")


def _check_restored(found: dict[str, Any], restored_connection: Any, *, accept_broken_audit: bool) -> tuple[int, int]:
    """(rows, audit entries) of the restored database, proven equal to the snapshot and its chain intact."""
    facts = manifests.database_facts(restored_connection)
    _compare(found, facts)
    checked, broken = audit.verify(using=restored_connection.alias)
    if broken is not None and not accept_broken_audit:
        raise RestoreRefused(
            f"The audit chain in this backup is broken at entry {broken.seq} ({broken.reason}); it was so when "
            f"the backup was made. Restore an earlier backup, or restore this one with --accept-broken-audit "
            f"and look into it."
        )
    return sum(t["rows"] for t in facts["tables"].values()), checked


def restore_backup(
    path: Path,
    *,
    verify_only: bool = False,
    accept_broken_audit: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> RestoreResult:
    """Restore `path` over the live database, or with `verify_only` into a scratch database that is then
    dropped (a restore drill). Raises BackupFileError (or RestoreRefused) with a message for a person; then
    the live database is as it was."""
    keys = conf.backup_keys()
    if not keys:
        raise BackupFileError("HOTLINE_BACKUP_KEY is not set: it must hold the key the backup was made with.")
    started = time.monotonic()
    live = connections[DEFAULT_DB_ALIAS]
    with open(path, "rb") as source:
        payload = PayloadReader(iter(EncryptedReader(source, keys)))
        found: dict[str, Any] = payload.manifest
        check_manifest(found, vendor=live.vendor)
        progress(
            f"Backup of {found.get('created_at')}: {len(found['tables'])} tables, schema and keys match; restoring."
        )
        if live.vendor == "sqlite":
            rows, entries, kept = _restore_sqlite(found, payload, verify_only, accept_broken_audit)
        else:
            rows, entries, kept = _restore_postgres(found, payload, verify_only, accept_broken_audit)
    return RestoreResult(
        tables=len(found["tables"]),
        rows=rows,
        audit_entries=entries,
        seconds=time.monotonic() - started,
        replaced=not verify_only,
        kept=kept,
    )


def _restore_sqlite(
    found: dict[str, Any], payload: PayloadReader, verify_only: bool, accept_broken_audit: bool
) -> tuple[int, int, str | None]:
    name, uri = sqlite.source_name(connections[DEFAULT_DB_ALIAS].settings_dict)
    if (uri or name == ":memory:") and not verify_only:
        raise RestoreRefused("The configured SQLite database is not a file: only --verify-only can run here.")
    work = Path(tempfile.mkdtemp(dir=_work_dir(), prefix=".restore-"))
    try:
        restored = work / "restored.sqlite3"
        sqlite.write_out(payload.snapshot(), restored)
        sqlite.integrity_check(restored)
        with _extra_connection(NAME=str(restored), OPTIONS={}) as restored_connection:
            rows, entries = _check_restored(found, restored_connection, accept_broken_audit=accept_broken_audit)
        if verify_only:
            return rows, entries, None
        connections.close_all()
        kept = sqlite.swap(Path(name), restored, stamp=_stamp())
        return rows, entries, str(kept) if kept else None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _restore_postgres(
    found: dict[str, Any], payload: PayloadReader, verify_only: bool, accept_broken_audit: bool
) -> tuple[int, int, str | None]:
    live = connections[DEFAULT_DB_ALIAS]
    live_name = str(live.settings_dict["NAME"])
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    scratch = f"{live_name[:40]}_restore_{stamp}"
    quote = live.ops.quote_name
    with live._nodb_cursor() as cursor:
        like = postgres.database_facts(cursor, live_name)
        cursor.execute("SELECT current_user")
        owner = like["owner"] if like else cursor.fetchone()[0]
        postgres.create(cursor, scratch, owner=owner, like=like, quote=quote)
    try:
        postgres.load(live.settings_dict, scratch, owner, payload.snapshot())
        with _extra_connection(NAME=scratch) as restored_connection:
            rows, entries = _check_restored(found, restored_connection, accept_broken_audit=accept_broken_audit)
        if verify_only:
            return rows, entries, None
        connections.close_all()
        with live._nodb_cursor() as cursor:
            others = postgres.other_sessions(cursor, live_name)
            if others:
                raise RestoreRefused(
                    f"{others} other session(s) use the database {live_name}: stop the web server, the workers "
                    f"and any pooler first (nothing was changed)."
                )
            kept = postgres.swap(cursor, live_name, scratch, f"{live_name[:40]}_before_{stamp}", quote=quote)
        scratch = ""  # it is the live database now
        return rows, entries, kept
    finally:
        if scratch:
            with live._nodb_cursor() as cursor:
                postgres.drop(cursor, scratch, quote=quote)
