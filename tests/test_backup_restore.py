"""Backup and restore in this process, on the database the suite runs on: the manifest, restore drills, and
every refusal (wrong key, other schema, other data or index keys, other database, damaged file), none of which
touches the live database or leaves a scratch one behind. tests/test_backup_e2e.py destroys and restores."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from hotline.core import audit, backup
from hotline.core.backup import manifest as manifests
from hotline.core.backup.stream import EncryptedReader, EncryptedWriter, PayloadReader, PayloadWriter
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)
KEY_ID, KEY = "bk2026", os.urandom(32)


@pytest.fixture
def backup_key(settings: Any) -> tuple[str, bytes]:
    settings.HOTLINE_BACKUP_KEY = f"{KEY_ID}:{base64.b64encode(KEY).decode()}"
    return KEY_ID, KEY


@pytest.fixture
def made(backup_key: Any, tmp_path: Path) -> Path:
    """A backup of a database with a few audit entries and an encrypted value."""
    from hotline.cases.models import Report

    for i in range(3):
        with transaction.atomic():
            audit.record(actor="system", action="test.backup", object_id=i)
    Report.objects.create(channel="web", kind="other", description="Neutral test text.", source_name="test")
    path = tmp_path / "made.hlbk"
    backup.make_backup(path)
    return path


def scratch_databases() -> list[str]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"{connection.settings_dict['NAME'][:40]}_restore_%"],
        )
        return [row[0] for row in cursor.fetchall()]


def read_manifest(path: Path) -> dict[str, Any]:
    with open(path, "rb") as source:
        return PayloadReader(iter(EncryptedReader(source, ((KEY_ID, KEY),)))).manifest


def rewritten(path: Path, target: Path, change: Any) -> Path:
    """A copy of the backup whose manifest `change` altered, sealed again with the key (as a backup made by
    another release or installation would be)."""
    with open(path, "rb") as source:
        reader = PayloadReader(iter(EncryptedReader(source, ((KEY_ID, KEY),))))
        found = reader.manifest
        change(found)
        with open(target, "wb") as out:
            payload = PayloadWriter(EncryptedWriter(out, key_id=KEY_ID, key=KEY))
            payload.manifest(found)
            for piece in reader.snapshot():
                payload.data(piece)
            payload.end()
    return target


def test_the_manifest_holds_what_restore_checks_and_no_key(made: Path, settings: Any) -> None:
    found = read_manifest(made)
    assert found["manifest_format"] == 1
    assert found["database"]["vendor"] == connection.vendor
    assert sorted(map(tuple, found["schema"]["migrations"])) == sorted(map(tuple, manifests.code_migrations()))
    head = AuditEntry.objects.order_by("-seq").first()
    assert head is not None
    assert found["audit_head"] == {"seq": head.seq, "hash": head.hash}
    assert found["tables"]["staff_auditentry"]["rows"] == 3
    assert found["tables"]["cases_report"]["rows"] == 1
    assert len(found["tables"]["cases_report"]["sha256"]) == 64
    assert found["data_keys"]["in_use"] == {"dev1": 1}  # the report's description
    assert found["data_keys"]["configured"] == ["dev1"]
    text = json.dumps(found)
    for secret in (settings.HOTLINE_DATA_KEYS.split(":", 1)[1], settings.HOTLINE_INDEX_KEY, "Neutral test text"):
        assert secret not in text
    assert (made.parent / "made.hlbk.sha256").read_text().split()[1] == "made.hlbk"
    assert oct(made.stat().st_mode & 0o777) == "0o600"


def test_a_restore_drill_proves_every_table_and_the_audit_chain(made: Path) -> None:
    out = io.StringIO()
    call_command("restore", str(made), "--verify-only", stdout=out)
    assert "Verified (nothing replaced)" in out.getvalue()
    assert "audit chain of 3 entries intact" in out.getvalue()
    assert scratch_databases() == []


def test_a_backup_of_another_schema_version_is_refused(made: Path, tmp_path: Path) -> None:
    older = rewritten(made, tmp_path / "older.hlbk", lambda m: m["schema"]["migrations"].pop())
    with pytest.raises(CommandError, match="another schema version: it lacks 1 migration"):
        call_command("restore", str(older), "--verify-only")
    newer = rewritten(made, tmp_path / "newer.hlbk", lambda m: m["schema"]["migrations"].append(["cases", "9999_x"]))
    with pytest.raises(CommandError, match=r"does not know \(first: cases\.9999_x\)"):
        call_command("restore", str(newer), "--verify-only")


def test_a_backup_of_the_other_kind_of_database_is_refused(made: Path, tmp_path: Path) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    forged = rewritten(made, tmp_path / "other.hlbk", lambda m: m["database"].update(vendor=other))
    with pytest.raises(CommandError, match=f"backup of a {other} database"):
        call_command("restore", str(forged), "--verify-only")


def test_missing_or_other_data_keys_and_another_index_key_are_refused(made: Path, settings: Any) -> None:
    original = settings.HOTLINE_DATA_KEYS
    settings.HOTLINE_DATA_KEYS = f"k2027:{base64.b64encode(os.urandom(32)).decode()}"
    with pytest.raises(CommandError, match="data key\\(s\\) dev1, which HOTLINE_DATA_KEYS lacks"):
        call_command("restore", str(made), "--verify-only")
    settings.HOTLINE_DATA_KEYS = f"dev1:{base64.b64encode(os.urandom(32)).decode()}"
    with pytest.raises(CommandError, match="different key under the id\\(s\\) dev1"):
        call_command("restore", str(made), "--verify-only")
    settings.HOTLINE_DATA_KEYS = original
    settings.HOTLINE_INDEX_KEY = "another-index-key"
    with pytest.raises(CommandError, match="HOTLINE_INDEX_KEY differs"):
        call_command("restore", str(made), "--verify-only")


def test_a_wrong_backup_key_and_a_missing_one_are_refused(made: Path, settings: Any) -> None:
    settings.HOTLINE_BACKUP_KEY = f"bk2027:{base64.b64encode(os.urandom(32)).decode()}"
    with pytest.raises(CommandError, match=r"Wrong key: this backup was made with the backup key 'bk2026'"):
        call_command("restore", str(made), "--verify-only")
    settings.HOTLINE_BACKUP_KEY = None
    with pytest.raises(CommandError, match="HOTLINE_BACKUP_KEY is not set"):
        call_command("restore", str(made), "--verify-only")
    with pytest.raises(CommandError, match="HOTLINE_BACKUP_KEY is not set"):
        call_command("backup", "--output", str(made.with_name("new.hlbk")))


def test_a_snapshot_that_does_not_match_its_manifest_is_never_put_in_place(made: Path, tmp_path: Path) -> None:
    """The file authenticates, but a table's checksum disagrees (a bug, or a manifest of another snapshot):
    refused after the restore into the scratch database, which is dropped."""
    forged = rewritten(made, tmp_path / "forged.hlbk", lambda m: m["tables"]["cases_report"].update(rows=2))
    with pytest.raises(CommandError, match="differs from the backup's snapshot in 1 table\\(s\\) \\(cases_report\\)"):
        call_command("restore", str(forged), "--verify-only")
    assert scratch_databases() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the in-process swap is PostgreSQL's (SQLite: e2e)")
def test_a_damaged_file_never_half_restores(made: Path, tmp_path: Path) -> None:
    from hotline.cases.models import Report

    blob = bytearray(made.read_bytes())
    blob[-40] ^= 0x01  # in the database snapshot, after the manifest was read and accepted
    damaged = tmp_path / "damaged.hlbk"
    damaged.write_bytes(bytes(blob))
    Report.objects.create(channel="api", kind="other", source_name="after the backup")
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged), "--noinput")
    assert Report.objects.filter(source_name="after the backup").exists()  # the live database is untouched
    assert scratch_databases() == []


def test_a_backup_that_fails_midway_leaves_no_file(backup_key: Any, tmp_path: Path, monkeypatch: Any) -> None:
    def broken(payload: Any) -> Any:
        payload.data(b"x" * 1000)
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_backup_sqlite", broken)
    monkeypatch.setattr(backup, "_backup_postgres", broken)
    with pytest.raises(OSError, match="disk full"):
        backup.make_backup(tmp_path / "cut.hlbk")
    assert list(tmp_path.iterdir()) == []


def test_only_the_newest_backups_are_kept(tmp_path: Path) -> None:
    names = [f"hotline-2026010{i}T030000Z.hlbk" for i in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        (tmp_path / f"{name}.sha256").write_text("x")
    (tmp_path / "other.hlbk").write_bytes(b"kept: not written by `backup`")
    removed = backup.prune(tmp_path, 2)
    assert [p.name for p in removed] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["other.hlbk", *names[3:], *(f"{n}.sha256" for n in names[3:])]
    )
