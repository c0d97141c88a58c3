"""`manage.py verify_audit`: check the audit log's hash chain; exit 1 at the first broken entry. Each run is kept
(core.AuditCheck and an audit entry): /metrics shows when the chain was last found intact."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.core.audit import ChainBreak, ChainCheck, check_chain, record_check
from hotline.core.audit_archive import archived_hash, verify_archives
from hotline.core.models import AuditArchive, AuditChainHead, AuditEntry


class Command(BaseCommand):
    help = (
        "Verify the audit log hash chain. Prints OK and the newest entry's hash, or the first broken entry "
        "and exits 1. --anchor SEQ:HASH also checks an entry against a hash kept elsewhere."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A hash printed by an earlier run and kept outside the database (repeatable). Someone with "
            "write access to the database could rebuild a consistent chain; an outside copy catches that.",
        )
        parser.add_argument(
            "--archives",
            action="store_true",
            help="Also check the archive files of pruned entries (HOTLINE_AUDIT_ARCHIVE_DIR) against the chain.",
        )

    def handle(self, *args: Any, anchor: list[str], archives: bool = False, **options: Any) -> None:
        anchors: list[tuple[int, str]] = []
        for value in anchor:
            seq_text, _, digest = value.partition(":")
            if not seq_text.isdigit() or len(digest) != 64:
                raise CommandError(f"--anchor must look like SEQ:HASH (64 hex digits), not {value!r}.")
            anchors.append((int(seq_text), digest.lower()))
        result = check_chain()
        checked, broken = result.checked, result.broken
        archived = 0
        if broken is None and archives:
            archived, broken = verify_archives()
        head = AuditChainHead.objects.filter(pk=1).first()  # as checked: the check's own entry comes after it
        message = (
            ""
            if broken is None
            else (f"BROKEN at entry {broken.seq}: {broken.reason} ({checked + archived} entries before it are intact).")
        )
        for anchor_seq, digest in anchors:
            if broken is not None:
                break
            stored = AuditEntry.objects.filter(seq=anchor_seq).values_list("hash", flat=True).first()
            if stored is None:  # pruned by retention: its archive file holds it
                stored = archived_hash(anchor_seq)
            if stored != digest:
                broken = ChainBreak(anchor_seq, "its hash differs from the anchor kept elsewhere")
                message = f"BROKEN at entry {anchor_seq}: its hash differs from the anchor kept elsewhere."
        # Every run is kept, broken or not (/metrics shows when the chain was last found intact).
        record_check(actor="cli:verify_audit", checked=checked, broken=broken)
        if broken is not None:
            self.stderr.write(message)
            sys.exit(1)
        self.stdout.write(_versions(result))
        if head is None or not head.last_seq:
            self.stdout.write(f"OK: {checked} audit entries, chain intact. Newest hash: -")
            return
        pruned = AuditArchive.objects.order_by("-up_to_seq").values_list("up_to_seq", flat=True).first()
        if pruned:
            self.stdout.write(
                f"Entries 1 to {pruned} were archived and pruned (HOTLINE_AUDIT_RETENTION_DAYS); the chain is checked "
                f"from entry {pruned + 1}" + (f", the archive files too ({archived} entries)." if archives else ".")
            )
        self.stdout.write(
            f"OK: {checked} audit entries, chain intact. Newest hash: {head.last_hash} "
            f"(entry {head.last_seq}; keep it outside the database, check later with "
            f"--anchor {head.last_seq}:{head.last_hash})"
        )


def _versions(result: ChainCheck) -> str:
    """Where hash version 2 (every column) starts; version 1 entries do not cover the actor_id column."""
    if not result.v1_entries:
        return "Hash version 2 (every column) for every entry."
    if result.first_v2_seq is None:
        return f"Hash version 1 for all {result.v1_entries} entries (written before version 2: actor_id not covered)."
    return (
        f"Hash version 1 for {result.v1_entries} entries written before version 2 (actor_id not covered); "
        f"version 2 (every column) from entry {result.first_v2_seq}."
    )
