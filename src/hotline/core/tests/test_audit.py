"""The audit log: hash chain, append-only, and verify_audit catching a direct database edit."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from hotline.core import audit
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _write(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            audit.record(actor="system", action="test.event", object_type="case", object_id=i, details={"i": i})


def test_entries_form_a_chain() -> None:
    _write(3)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert audit.verify() == (3, None)


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError):
        audit.record(actor="system", action="x")


def test_entries_cannot_be_changed_through_the_orm() -> None:
    _write(1)
    entry = AuditEntry.objects.get()
    entry.action = "changed"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_verify_audit_ok(capsys) -> None:  # type: ignore[no-untyped-def]
    _write(4)
    call_command("verify_audit")
    assert "OK: 4 audit entries" in capsys.readouterr().out


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE staff_auditentry SET details = '{\"i\": 99}' WHERE seq = 2",
        "UPDATE staff_auditentry SET action = 'other' WHERE seq = 2",
        "DELETE FROM staff_auditentry WHERE seq = 2",
    ],
)
def test_verify_audit_catches_a_direct_database_edit(sql: str, capsys) -> None:  # type: ignore[no-untyped-def]
    _write(4)
    with connection.cursor() as cursor:
        cursor.execute(sql)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit")
    assert exc.value.code == 1
    assert "BROKEN at entry 2" in capsys.readouterr().err


def test_truncating_the_tail_is_caught(capsys) -> None:  # type: ignore[no-untyped-def]
    _write(3)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM staff_auditentry WHERE seq = 3")
    with pytest.raises(SystemExit):
        call_command("verify_audit")
