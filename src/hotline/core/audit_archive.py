"""Retention of the audit log itself: entries older than HOTLINE_AUDIT_RETENTION_DAYS are written to an archive file
and pruned, oldest first; the newest archived seq and hash stay (core.AuditArchive) so `audit.verify` still proves
every entry left, and `verify_archives` proves the files against the same chain."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from hotline.core import conf
from hotline.core.audit import ChainBreak, compute_hash
from hotline.core.models import AuditArchive, AuditChainHead, AuditEntry


def _columns() -> list[Any]:
    return list(AuditEntry._meta.concrete_fields)


def due(now: datetime) -> QuerySet[AuditEntry]:
    """Entries older than the period; never the newest entry (the chain head names it)."""
    days = conf.audit_retention_days()
    assert days is not None
    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    return AuditEntry.objects.filter(at__lt=now - timedelta(days=days), seq__lt=head)


def archive_and_prune(ids: list[Any], now: datetime) -> tuple[int, Mapping[str, Any]]:
    """Archive the entries of `ids` that continue the archived stretch without a gap (the oldest entries), then
    delete them. Runs in the retention engine's transaction; the head row is locked as an append locks it."""
    AuditChainHead.objects.select_for_update().filter(pk=1).first()
    newest = AuditArchive.objects.order_by("-up_to_seq").first()
    expected = newest.up_to_seq + 1 if newest else 1
    run: list[AuditEntry] = []
    for entry in AuditEntry.objects.filter(pk__in=ids).order_by("seq"):
        if entry.seq != expected:
            break
        run.append(entry)
        expected += 1
    if not run:
        return 0, {}
    first, last = run[0], run[-1]
    directory = conf.audit_archive_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"audit-{first.seq:012d}-{last.seq:012d}.jsonl"
    digest = _write(directory / name, run)
    AuditArchive.objects.create(
        first_seq=first.seq,
        up_to_seq=last.seq,
        up_to_hash=last.hash,
        entries=len(run),
        file_name=name,
        file_sha256=digest,
        archived_at=now,
    )
    # A queryset delete: AuditEntry.delete() refuses on purpose, and only this archive step may remove entries.
    AuditEntry.objects.filter(seq__gte=first.seq, seq__lte=last.seq).delete()
    return len(run), {
        "entries": len(run),
        "first_seq": first.seq,
        "up_to_seq": last.seq,
        "up_to_hash": last.hash,
        "file": name,
        "file_sha256": digest,
        "retention_days": conf.audit_retention_days(),
    }


def _write(target: Path, entries: list[AuditEntry]) -> str:
    """One JSON object per line with every column; written to a temporary name, synced, then renamed, so a file of
    that name is always whole. Returns its SHA-256."""
    body = b"".join(
        json.dumps(
            {f.attname: getattr(e, f.attname) for f in _columns()}, sort_keys=True, default=_iso, ensure_ascii=True
        ).encode()
        + b"\n"
        for e in entries
    )
    partial = target.with_suffix(".partial")
    with open(partial, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # staff names are in actor_label
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return hashlib.sha256(body).hexdigest()


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return str(value)


def _entry(line: bytes) -> AuditEntry:
    values = json.loads(line)
    values["at"] = parse_datetime(values["at"])
    return AuditEntry(**values)


def verify_archives(directory: Path | None = None) -> tuple[int, ChainBreak | None]:
    """Check every archive file, oldest first: its SHA-256 as recorded, and each entry's hash from the first
    entry's zero hash on, ending in the hash the table's chain starts from. Returns (entries checked, first break)."""
    directory = directory or conf.audit_archive_dir()
    prev_hash = "0" * 64
    expected = 1
    checked = 0
    for archive in AuditArchive.objects.order_by("up_to_seq"):
        path = directory / archive.file_name
        if not path.exists():
            return checked, ChainBreak(archive.first_seq, f"archive file {archive.file_name} is missing")
        body = path.read_bytes()
        if hashlib.sha256(body).hexdigest() != archive.file_sha256:
            return checked, ChainBreak(archive.first_seq, f"archive file {archive.file_name} was changed")
        for line in body.splitlines():
            entry = _entry(line)
            if entry.seq != expected or entry.prev_hash != prev_hash or compute_hash(prev_hash, entry) != entry.hash:
                return checked, ChainBreak(expected, f"archived entry {expected} does not match the chain")
            prev_hash = entry.hash
            expected += 1
            checked += 1
        if prev_hash != archive.up_to_hash or expected - 1 != archive.up_to_seq:
            return checked, ChainBreak(archive.up_to_seq, f"archive file {archive.file_name} ends elsewhere")
    return checked, None


def archived_hash(seq: int, directory: Path | None = None) -> str | None:
    """The hash of archived entry `seq`, read from its archive file (None: not archived, or the file is gone)."""
    archive = AuditArchive.objects.filter(first_seq__lte=seq, up_to_seq__gte=seq).first()
    if archive is None:
        return None
    path = (directory or conf.audit_archive_dir()) / archive.file_name
    if not path.exists():
        return archive.up_to_hash if seq == archive.up_to_seq else None
    for line in path.read_bytes().splitlines():
        entry = _entry(line)
        if entry.seq == seq:
            return entry.hash
    return None
