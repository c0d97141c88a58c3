"""How hash entries are stored for fast bulk imports (migration 0003): byte-order collation on PostgreSQL, no
database foreign key, and the ORM still removing a list's entries with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from hotline.intel import services
from hotline.intel.models import HashEntry, HashList

pytestmark = pytest.mark.django_db


def _list_with(tmp_path: Path, rows: list[str], name: str = "Storage test list") -> HashList:
    hash_list = services.create_hash_list(
        name=name, trust_level="verified", classification="csam_baseline", actor="system"
    )
    path = tmp_path / f"{name}.csv"
    path.write_text("type,hash\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    outcome = services.import_hash_file(
        hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="system"
    )
    assert not outcome.refused
    return hash_list


def test_no_database_foreign_key_from_entries_to_lists() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, HashEntry._meta.db_table)
    foreign = [name for name, c in constraints.items() if c["foreign_key"]]
    assert foreign == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="collations of columns are PostgreSQL's")
def test_type_and_value_sort_in_byte_order_on_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, collation_name FROM information_schema.columns "
            "WHERE table_name = 'intel_hashentry' AND column_name IN ('hash_type', 'value') ORDER BY column_name"
        )
        assert cursor.fetchall() == [("hash_type", "C"), ("value", "C")]


def test_an_import_then_an_upsert_and_the_orm_deletion_keep_the_entries_right(tmp_path: Path) -> None:
    first, second = "a" * 64, "0" * 63 + "f"
    hash_list = _list_with(tmp_path, [f"sha256,{first}", f"sha256,{second.upper()}"])
    assert sorted(HashEntry.objects.filter(hash_list=hash_list).values_list("value", flat=True)) == [second, first]
    path = tmp_path / "again.csv"
    path.write_text(f"type,hash\nsha256,{first}\nsha256,{'b' * 64}\n", encoding="utf-8")
    outcome = services.import_hash_file(
        hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="system"
    )
    assert (outcome.added, outcome.seen_again) == (1, 1)
    assert HashEntry.objects.filter(hash_list=hash_list).count() == 3
    other = _list_with(tmp_path, [f"sha256,{first}"], name="Another list")
    HashList.objects.filter(pk=hash_list.pk).delete()  # no constraint in the database: the ORM cascades
    assert list(HashEntry.objects.values_list("hash_list_id", flat=True)) == [other.pk]
