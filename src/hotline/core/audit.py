"""The audit log: append an entry in the caller's transaction (record), check the whole chain (verify,
check_chain) and keep the result of a check (record_check). Each entry's hash is over a versioned canonical
form; version 2 covers every column."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from hotline.core.models import AuditArchive, AuditChainHead, AuditCheck, AuditEntry

SYSTEM = "system"


# Version 1 (entries written before core/0005): SHA-256 over the previous hash, a newline and this JSON. It
# leaves out actor_id: entries of that version keep their hash, so anchors kept elsewhere still check.
def _canonical_v1(
    *, seq: int, at: datetime, actor_label: str, action: str, object_type: str, object_id: str, details: Any
) -> bytes:
    return json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    ).encode()


HASH_VERSION = 2  # what record() writes
# Every column of AuditEntry that version 2's hash covers (the test edits each one in the database). The row id is
# left out: the database assigns it after the hash is made, and nothing reads it (order and links use seq).
V2_COLUMNS = (
    "seq", "at", "actor_id", "actor_label", "action", "object_type", "object_id", "details", "prev_hash",
    "hash_version",
)  # fmt: skip


def canonical_v2(entry: AuditEntry, *, prev_hash: str) -> bytes:
    """Version 2's canonical form (docs/security.md, "Audit log"): one JSON object of every column but the id
    and the hash itself, keys sorted, no spaces, ASCII only, the time in UTC with microseconds. SHA-256 of it
    is the entry's hash."""
    return json.dumps(
        {
            "v": 2,  # hash_version
            "seq": entry.seq,
            "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": entry.actor_id,
            "actor_label": entry.actor_label,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "details": entry.details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    ).encode()


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The hash `entry` must carry after an entry whose hash is `prev_hash`, in the entry's own version."""
    version = entry.hash_version
    if version == 2:
        return hashlib.sha256(canonical_v2(entry, prev_hash=prev_hash)).hexdigest()
    if version == 1:
        body = _canonical_v1(
            seq=entry.seq,
            at=entry.at,
            actor_label=entry.actor_label,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=entry.details,
        )
        return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()
    raise ValueError(f"unknown audit hash version {version!r}")


def _actor_label(actor: AbstractBaseUser | str | None) -> tuple[AbstractBaseUser | None, str]:
    if isinstance(actor, AbstractBaseUser):  # a staff member: the user model's username is the email
        return actor, f"staff:{actor.pk}:{actor.get_username()}"
    return None, actor or SYSTEM


def record(
    *,
    actor: AbstractBaseUser | str | None,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the transaction of the change it records.

    `actor` is a staff member (the user model), or a label such as "system", "partner:<name>", "public".
    `details` must never hold plain sensitive values (URLs, text, contacts): ids and facts only.
    """
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic() with the change it records.")
    user, label = _actor_label(actor)
    # The head row lock serialises appends (PostgreSQL); SQLite's IMMEDIATE transactions already do.
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=timezone.now(),
        actor_id=user.pk if user is not None else None,
        actor_label=label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=json.loads(json.dumps(details or {}, default=str)),
        prev_hash=head.last_hash,
        hash_version=HASH_VERSION,
    )
    entry.hash = compute_hash(head.last_hash, entry)
    entry.save()
    AuditChainHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking the chain: entries checked, the first break (or None), and the hash versions met."""

    checked: int
    broken: ChainBreak | None
    v1_entries: int  # hashed before version 2 existed: their actor_id is not covered
    first_v2_seq: int | None


def verify(*, batch_size: int = 5000, using: str = "default") -> tuple[int, ChainBreak | None]:
    """Walk the whole chain in order (of the database `using`: restore checks a database before it is put in
    place). Returns (entries checked, first break or None)."""
    result = check_chain(batch_size=batch_size, using=using)
    return result.checked, result.broken


def check_chain(*, batch_size: int = 5000, using: str = "default") -> ChainCheck:
    """Walk the whole chain in order, each entry checked in its own hash version. Entries archived and pruned
    by retention (core.AuditArchive) are not in the table: the walk starts after the newest archived entry,
    from its hash."""
    archived = AuditArchive.objects.using(using).order_by("-up_to_seq").first()
    prev_hash = archived.up_to_hash if archived else "0" * 64
    expected_seq = archived.up_to_seq + 1 if archived else 1
    checked = v1_entries = 0
    first_v2: int | None = None

    def result(broken: ChainBreak | None) -> ChainCheck:
        return ChainCheck(checked=checked, broken=broken, v1_entries=v1_entries, first_v2_seq=first_v2)

    for entry in _iter_entries(batch_size, using, after=expected_seq - 1):
        if entry.seq != expected_seq:
            return result(ChainBreak(expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})"))
        if entry.prev_hash != prev_hash:
            return result(ChainBreak(entry.seq, "prev_hash does not match the previous entry"))
        if entry.hash_version not in (1, 2):
            return result(ChainBreak(entry.seq, f"hash version {entry.hash_version!r} is not one Hotline writes"))
        try:
            expected_hash = compute_hash(prev_hash, entry)
        except (ValueError, TypeError):  # details that JSON cannot hold (NaN): not what record() wrote
            return result(ChainBreak(entry.seq, "content cannot be put in canonical form (edited)"))
        if expected_hash != entry.hash:
            return result(ChainBreak(entry.seq, "content does not match its hash (edited)"))
        if entry.hash_version == 1:
            v1_entries += 1
        elif first_v2 is None:
            first_v2 = entry.seq
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    if head is not None and head.last_seq != expected_seq - 1:
        return result(
            ChainBreak(expected_seq, f"the chain head says {head.last_seq} entries, found {expected_seq - 1}")
        )
    return result(None)


def _iter_entries(batch_size: int, using: str, *, after: int = 0) -> Iterator[AuditEntry]:
    last = after
    while True:
        batch = list(AuditEntry.objects.using(using).filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def record_check(*, actor: str, checked: int, broken: ChainBreak | None) -> AuditCheck:
    """Keep the result of a full check: a row /metrics reads (time of the newest intact check) and an audit
    entry `audit.chain_verified`, as the staff page's check writes, so the audit log shows nightly checks too."""
    with transaction.atomic():
        check = AuditCheck.objects.create(
            checked_at=timezone.now(), entries=checked, broken_at=broken.seq if broken else None
        )
        record(
            actor=actor, action="audit.chain_verified", object_type="audit",
            details={"checked": checked, "broken_at": broken.seq if broken else None},
        )  # fmt: skip
    return check
