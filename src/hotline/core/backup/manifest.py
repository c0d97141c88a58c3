"""What a backup says about the database it holds, read from the very snapshot it holds: schema (applied
migrations), rows and a SHA-256 of the contents of every table, the data-key ids in use, the audit chain head.

Restore reads the same facts from the restored database and compares them before the restored database replaces
the live one, so a restore is proven whole, table by table. The figures name no key: key ids, and check values
(an HMAC of a constant under each key) that tell whether the key configured under an id is the one the data
was written with.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import platform
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from hotline.core import crypto
from hotline.core.fields import EncryptedTextField

MANIFEST_FORMAT = 1
FETCH = 2000


def key_fingerprint(secret: bytes | str) -> str:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"hotline-backup-key-fingerprint", hashlib.sha256).hexdigest()[:32]


def code_migrations() -> list[list[str]]:
    """Every migration of this code, as [app, name], sorted: the schema this release expects."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted([app, name] for app, name in loader.graph.nodes)


def schema_id(migrations: Iterable[Iterable[str]]) -> str:
    text = "\n".join(f"{app}.{name}" for app, name in sorted(tuple(m) for m in migrations))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> bytes:
    """One value as bytes that differ for every different value (and type) and are equal for equal ones."""
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"i%d" % value
    if isinstance(value, float):
        return b"f" + repr(value).encode()
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        return b"b" + bytes(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return b"d" + value.isoformat().encode()
    if isinstance(value, decimal.Decimal):
        return b"D" + str(value).encode()
    if isinstance(value, uuid.UUID):
        return b"u" + value.hex.encode()
    if isinstance(value, dict | list):
        return b"j" + json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
    return b"r" + repr(value).encode()


def _encrypted_columns() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.setdefault(model._meta.db_table, set()).add(str(field.column))
    return found


def _rows(connection: Any, table: str, columns: list[str], order: list[str]) -> Iterator[tuple[Any, ...]]:
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)} "  # noqa: S608  # nosec B608  # quoted names read from the database's own catalogue
        f"ORDER BY {', '.join(map(quote, order))}"
    )
    # PostgreSQL: a server-side cursor (inside the caller's transaction), so a large table is never in memory.
    cursor = connection.chunked_cursor() if connection.vendor == "postgresql" else connection.cursor()
    with cursor:
        cursor.execute(sql)
        while batch := cursor.fetchmany(FETCH):
            yield from batch


def table_facts(connection: Any) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """({table: {"rows": n, "sha256": hex}}, {data key id: values under it}) of every table of the database
    behind the Django `connection`, in one pass over every row."""
    encrypted = _encrypted_columns()
    tables: dict[str, dict[str, Any]] = {}
    key_ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        names = sorted(info.name for info in connection.introspection.get_table_list(cursor) if info.type == "t")
        layout = {}
        for table in names:
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            primary = connection.introspection.get_primary_key_columns(cursor, table) or []
            layout[table] = (columns, primary or columns)
    for table in names:
        columns, order = layout[table]
        secret = [i for i, column in enumerate(columns) if column in encrypted.get(table, ())]
        digest = hashlib.sha256()
        count = 0
        for row in _rows(connection, table, columns, order):
            count += 1
            for value in row:
                piece = _canonical(value)
                digest.update(len(piece).to_bytes(8, "big"))
                digest.update(piece)
            for index in secret:
                value = row[index]
                if isinstance(value, str) and value.startswith(f"{crypto.PREFIX}:"):
                    kid = value.split(":", 2)[1]
                    key_ids[kid] = key_ids.get(kid, 0) + 1
        tables[table] = {"rows": count, "sha256": digest.hexdigest()}
    return tables, key_ids


def _applied_migrations(connection: Any) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return sorted([app, name] for app, name in cursor.fetchall())


def _audit_head(connection: Any) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_seq, last_hash FROM staff_auditchainhead WHERE id = 1")
        row = cursor.fetchone()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": "0" * 64}


def database_facts(connection: Any) -> dict[str, Any]:
    """Everything a manifest says about the database behind `connection` (also used on a restored one)."""
    tables, key_ids = table_facts(connection)
    migrations = _applied_migrations(connection)
    return {
        "schema": {"id": schema_id(migrations), "migrations": migrations},
        "tables": tables,
        "data_keys_in_use": dict(sorted(key_ids.items())),
        "audit_head": _audit_head(connection),
    }


def build(connection: Any, *, snapshot: dict[str, str]) -> dict[str, Any]:
    """The manifest of a backup whose snapshot `connection` reads."""
    ring = crypto.keyring()
    facts = database_facts(connection)
    in_use = facts.pop("data_keys_in_use")
    return {
        "manifest_format": MANIFEST_FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "software": {"python": platform.python_version(), "django": django.get_version()},
        "database": {"vendor": connection.vendor},
        "snapshot": snapshot,
        **facts,
        # Ids of the data keys (never the keys): those configured when the backup was made (the first
        # encrypts) and those the stored values were written with; check values to recognise them again.
        "data_keys": {
            "configured": list(ring.keys),
            "in_use": in_use,
            "check": {kid: key_fingerprint(key) for kid, key in ring.keys.items()},
        },
        "index_key_check": key_fingerprint(settings.HOTLINE_INDEX_KEY),
    }
