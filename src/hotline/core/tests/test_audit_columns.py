"""The audit chain covers every column (issue 19): an edit of any one column of an entry, made directly in the
database, is caught by `verify_audit`; entries hashed before version 2 keep their hash, so anchors written
down before the upgrade still check, and `verify_audit` says where version 2 starts."""

from __future__ import annotations

import hashlib
import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from hotline.core import audit
from hotline.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db

# One new value per column, for entry 2 of 3. Every column but the row id (see audit.V2_COLUMNS).
EDITS: dict[str, Any] = {
    "seq": 7,
    "at": "2026-01-02 03:04:05.000006",
    "actor_id": "other",  # another staff member
    "actor_label": "staff:1:someone.else@hotline.example",
    "action": "case.viewed",
    "object_type": "report",
    "object_id": "99",
    "details": '{"i": 99}',
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
    "hash_version": 1,
}


def _write(n: int, actor: Any) -> None:
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=actor, action="test.event", object_type="case", object_id=i, details={"i": i})


def _run(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_the_edits_cover_every_column_but_the_row_id() -> None:
    columns = {field.column for field in AuditEntry._meta.concrete_fields}
    assert set(EDITS) == columns - {"id"}, "a new column needs an edit here and a place in the canonical form"
    assert set(audit.V2_COLUMNS) == columns - {"id", "hash"}  # hash is what they are hashed into
    assert len(columns - {"id"}) == 11


@pytest.mark.parametrize("column", sorted(EDITS))
def test_an_edit_of_any_column_is_caught(column: str, make_staff: Any) -> None:
    author, other = make_staff("analyst"), make_staff("analyst")
    _write(3, author)
    assert _run()[0] == 0
    value = other.pk if EDITS[column] == "other" else EDITS[column]
    table, quoted = AuditEntry._meta.db_table, connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {quoted} = %s WHERE seq = 2", [value])
        assert cursor.rowcount == 1
    code, output = _run()
    assert code == 1, f"an edit of {column} went unnoticed: {output}"
    assert re.search(r"BROKEN at entry [23]\b", output), output


def test_the_canonical_form_is_the_documented_one(make_staff: Any) -> None:
    """docs/security.md spells out version 2; this recomputes an entry's hash from that description alone."""
    user = make_staff("analyst")
    _write(2, user)
    entry = AuditEntry.objects.get(seq=2)
    assert entry.hash_version == 2
    document = {
        "v": 2,
        "seq": 2,
        "at": entry.at.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
        "actor_id": user.pk,
        "actor_label": f"staff:{user.pk}:{user.email}",
        "action": "test.event",
        "object_type": "case",
        "object_id": "1",
        "details": {"i": 1},
        "prev_hash": AuditEntry.objects.get(seq=1).hash,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert hashlib.sha256(text.encode()).hexdigest() == entry.hash


def _write_as_version_1(n: int) -> None:
    """Entries as the releases before version 2 wrote them (same chain, version 1 hashes)."""
    head = AuditChainHead.objects.get_or_create(pk=1)[0]
    prev = head.last_hash
    for i in range(n):
        seq = head.last_seq + 1 + i
        with transaction.atomic():
            entry = audit.record(actor="system", action="old.event", object_id=i)
            entry.hash_version = 1
            entry.prev_hash = prev
            entry.hash = audit.compute_hash(prev, entry)
            AuditEntry.objects.filter(seq=seq).update(hash_version=1, prev_hash=prev, hash=entry.hash)
            AuditChainHead.objects.filter(pk=1).update(last_hash=entry.hash)
        prev = entry.hash


def test_old_entries_keep_their_hash_and_anchors_still_check() -> None:
    _write_as_version_1(3)
    code, before = _run()
    assert code == 0 and "Hash version 1 for all 3 entries" in before
    anchor = re.search(r"--anchor (\d+:[0-9a-f]{64})", before)
    assert anchor and anchor.group(1).startswith("3:")
    _write(2, "system")  # the upgraded release appends version 2 entries after them
    # Entry 4 is the first run's own record of its check (verify_audit audits every check); then the two.
    assert list(AuditEntry.objects.order_by("seq").values_list("hash_version", flat=True)) == [1, 1, 1, 2, 2, 2]
    code, after = _run("--anchor", anchor.group(1))
    assert code == 0, after
    assert "version 2 (every column) from entry 4" in after and "Hash version 1 for 3 entries" in after
    assert audit.check_chain().first_v2_seq == 4


def test_turning_a_new_entry_into_an_old_one_is_caught() -> None:
    """Version 1 does not cover actor_id; claiming an entry is version 1 breaks its hash."""
    _write_as_version_1(1)
    _write(2, "system")
    AuditEntry.objects.filter(seq=3).update(hash_version=1)
    code, output = _run()
    assert code == 1 and "BROKEN at entry 3" in output


def test_an_unknown_version_is_caught() -> None:
    _write(2, "system")
    AuditEntry.objects.filter(seq=2).update(hash_version=3)
    code, output = _run()
    assert code == 1 and "BROKEN at entry 2: hash version 3" in output
