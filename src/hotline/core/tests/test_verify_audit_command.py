"""`verify_audit` prints the newest hash to keep elsewhere, and --anchor catches a chain rebuilt from scratch."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from hotline.core import audit
from hotline.core.audit import compute_hash
from hotline.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


def _write(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            audit.record(actor="system", action="test.event", object_id=i)


def _run(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_prints_the_newest_hash_and_accepts_it_as_an_anchor() -> None:
    _write(3)
    code, output = _run()
    assert code == 0
    assert re.search(r"OK: 3 audit entries, chain intact. Newest hash: [0-9a-f]{64} ", output)
    anchor = re.search(r"--anchor (\d+:[0-9a-f]{64})", output)
    assert anchor and anchor.group(1).startswith("3:")
    assert _run("--anchor", anchor.group(1))[0] == 0


def test_an_anchor_catches_a_chain_rebuilt_after_an_edit() -> None:
    _write(3)
    anchor = re.search(r"--anchor (\d+:[0-9a-f]{64})", _run()[1])
    assert anchor
    # Someone with database write access edits entry 2 and recomputes every hash after it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE staff_auditentry SET object_id = '99' WHERE seq = 2")
    prev = AuditEntry.objects.get(seq=1).hash
    for entry in AuditEntry.objects.filter(seq__gte=2).order_by("seq"):
        new_hash = compute_hash(prev, entry)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE staff_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, new_hash, entry.seq]
            )
        prev = new_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)
    assert _run()[0] == 0, "the rebuilt chain is consistent on its own"
    code, output = _run("--anchor", anchor.group(1))
    assert code == 1 and "differs from the anchor" in output


def test_a_malformed_anchor_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_audit", "--anchor", "nonsense")
