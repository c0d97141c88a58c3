"""Bulk writes faster than Django's bulk_create/bulk_update on SQLite (triage, tracing).

bulk_update writes a CASE WHEN per row and field; on the triage batch it took most of the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction


def insert_rows(model: type[models.Model], objs: list[Any]) -> None:
    """INSERT new objects as bulk_create would (defaults, auto_now, related ids, encrypted fields) and set
    their ids: multi-row INSERT ... RETURNING (SQLite 3.35+, PostgreSQL), rows back in the order sent,
    as bulk_create also relies on. An id set beforehand (e.g. a UUID) is inserted as given."""
    if not objs:
        return
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        # There bulk_create is already cheap (one INSERT ... SELECT FROM UNNEST, one array per column),
        # while a statement with thousands of placeholders costs psycopg more to parse than it saves.
        model._default_manager.bulk_create(objs)
        return
    quote = connection.ops.quote_name
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if f is not pk or objs[0].pk is not None]
    columns = ", ".join(quote(f.column) for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite's smallest builds allow 999 parameters per statement (Django's own limit there).
    per_statement = max(1, min(500, (connection.features.max_query_params or 50_000) // len(fields)))
    for start in range(0, len(objs), per_statement):
        chunk = objs[start : start + per_statement]
        params: list[Any] = []
        for obj in chunk:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
        sql = "INSERT INTO {} ({}) VALUES {} RETURNING {}".format(  # noqa: S608 (quoted model identifiers; values are %s parameters)  # nosec B608
            quote(meta.db_table), columns, ", ".join([placeholder] * len(chunk)), quote(pk.column)
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        for obj, new_id in zip(chunk, ids, strict=True):
            obj.pk = pk.to_python(new_id)
            obj._state.adding = False
            obj._state.db = connection.alias


EXPLICIT_ONLY = 2**62  # a psycopg prepare_threshold no count reaches: only prepare=True prepares


def execute_prepared(connection: Any, sql: str, params: Sequence[Any]) -> Any:
    """Run one statement on PostgreSQL as a server-side prepared statement with server-side binding,
    and return its first row (None without one).

    Django's psycopg cursors quote every value into the SQL text and send it to be parsed and planned
    again each time. For the hot statements of intake (dozens of values, several CTEs) that parsing
    and planning cost PostgreSQL more than the writes themselves: prepared once per connection, the
    statement is later only bound and executed, with a generic plan (bench/intake.py). Django's
    cursor still opens the connection (with its health check) and turns driver errors into
    django.db errors.

    Django turns psycopg's prepared statements off on the connection (prepare_threshold None), and
    they stay off for everything else: with a threshold set, psycopg would also keep the text of
    every other query (values included) in its per-connection cache. They are switched on only for
    this one execution. Without persistent connections (HOTLINE_CONN_MAX_AGE=0, as with a
    transaction-mode pooler such as PgBouncer, which cannot keep a prepared statement for a client)
    the statement is sent unprepared.
    """
    import psycopg

    persistent = connection.settings_dict.get("CONN_MAX_AGE") != 0
    with (
        connection.cursor() as django_cursor,
        connection.wrap_database_errors,
        psycopg.Cursor(django_cursor.cursor.connection) as cursor,
    ):
        raw = cursor.connection
        if not persistent:
            cursor.execute(sql, params, prepare=False)
        else:
            threshold, raw.prepare_threshold = raw.prepare_threshold, EXPLICIT_ONLY
            try:
                cursor.execute(sql, params, prepare=True)
            finally:
                raw.prepare_threshold = threshold
        return cursor.fetchone() if cursor.description else None


def update_rows(model: type[models.Model], objs: list[Any], fields: tuple[str, ...]) -> None:
    """Write `fields` of each object to its row: one UPDATE statement run for all rows (executemany)."""
    if not objs:
        return
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    meta = model._meta
    assert meta.pk is not None
    columns = [meta.get_field(name) for name in fields]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (quoted model identifiers; values are %s parameters)  # nosec B608
        quote(meta.db_table),
        ", ".join(f"{quote(column.column)} = %s" for column in columns),  # type: ignore[union-attr]
        quote(meta.pk.column),
    )
    rows = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]  # type: ignore[union-attr]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
