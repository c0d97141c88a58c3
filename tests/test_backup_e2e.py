"""Back up, destroy, restore, compare: the commands as an operator runs them, in their own processes, on a
database of their own of the kind the suite runs on (a SQLite file, or a scratch PostgreSQL database on the
server of DATABASE_URL). Every table is read before and after, row by row, by this test's own plain SQL (not by
the backup code), and `verify_audit` runs on the restored database. A damaged copy is refused and leaves the
live database as it was. The figures (time, size) are printed; `pytest -s` shows them."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


class Database:
    """One database for the commands to run on, and plain reads of it."""

    def __init__(self, tmp_path: Path):
        configured = os.environ.get("DATABASE_URL", "")
        self.postgres = configured.startswith("postgres")
        if self.postgres:
            parsed = dj_database_url.parse(configured)
            self.name = f"{parsed['NAME'][:30]}_e2e_{os.getpid()}"
            self.params = {
                "host": parsed["HOST"], "port": parsed["PORT"] or 5432, "user": parsed["USER"],
                "password": parsed["PASSWORD"] or None,
            }  # fmt: skip
            self.url = configured.rsplit("/", 1)[0] + "/" + self.name
            self.admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_path / "live" / "hotline.sqlite3"
            self.path.parent.mkdir()
            self.url = f"sqlite:///{self.path}"

    def admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as conn:
            for statement in statements:
                conn.execute(statement)

    def databases(self) -> list[str]:
        import psycopg

        with psycopg.connect(dbname="postgres", **self.params) as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [self.name + "%"]).fetchall()
        return sorted(r[0] for r in rows)

    def destroy(self) -> None:
        if self.postgres:
            self.admin(f'DROP DATABASE "{self.name}"')
        else:
            for path in self.path.parent.iterdir():
                path.unlink()

    def drop_all(self) -> None:
        if self.postgres:
            self.admin(*(f'DROP DATABASE IF EXISTS "{name}"' for name in self.databases()))

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, ordered by all its columns."""
        if self.postgres:
            import psycopg

            with psycopg.connect(dbname=self.name, **self.params) as conn:
                tables = [r[0] for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                ).fetchall()]  # fmt: skip
                return {t: self._rows(conn.execute(f'SELECT * FROM "{t}" LIMIT 0'), conn, t) for t in tables}
        conn = sqlite3.connect(self.path)
        try:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )]  # fmt: skip
            return {t: self._rows(conn.execute(f'SELECT * FROM "{t}" LIMIT 0'), conn, t) for t in tables}
        finally:
            conn.close()

    @staticmethod
    def _rows(probe: Any, conn: Any, table: str) -> list[tuple[Any, ...]]:
        columns = len(probe.description)
        order = ", ".join(str(i) for i in range(1, columns + 1))
        return [tuple(row) for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path)
    try:
        yield db
    finally:
        db.drop_all()


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_backup_destroy_restore_gives_back_every_table_and_the_audit_chain(
    database: Database, tmp_path: Path, migrated_sqlite: Callable[[Path], Path]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        DATABASE_URL=database.url,
        HOTLINE_VAR_DIR=str(tmp_path / "var"),
        HOTLINE_BACKUP_KEY=f"bk1:{base64.b64encode(os.urandom(32)).decode()}",
    )
    if database.postgres:
        manage(env, "migrate", "-v", "0")
    else:
        migrated_sqlite(database.path)
    manage(env, "demo_data")
    anchor = manage(env, "verify_audit").stdout.split("--anchor ")[1].strip(" )\n")
    before = database.dump()
    assert len(before) > 40 and sum(map(len, before.values())) > 500, "the demo data fills the tables"

    started = time.monotonic()
    made = manage(env, "backup", "--output", str(tmp_path / "backups" / "hotline.hlbk"))
    backup_seconds = time.monotonic() - started
    backup_file = tmp_path / "backups" / "hotline.hlbk"
    digest = (tmp_path / "backups" / "hotline.hlbk.sha256").read_text().split()[0]
    assert digest in made.stdout

    database.destroy()
    started = time.monotonic()
    restored = manage(env, "restore", str(backup_file), "--noinput")
    restore_seconds = time.monotonic() - started
    assert "Restored:" in restored.stdout

    after = database.dump()
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, f"{table} differs after the restore"
    verified = manage(env, "verify_audit", "--anchor", anchor)
    assert "chain intact" in verified.stdout

    # A damaged copy is refused whole: the live database stays as it is, nothing is left behind.
    live = database.dump()
    damaged = tmp_path / "damaged.hlbk"
    blob = bytearray(backup_file.read_bytes())
    blob[len(blob) // 2] ^= 0x40
    damaged.write_bytes(bytes(blob))
    refused = manage(env, "restore", str(damaged), "--noinput", check=False)
    assert refused.returncode == 1 and "Not restored" in refused.stderr and "damaged" in refused.stderr
    assert database.dump() == live
    if database.postgres:
        assert database.databases() == [database.name]
    else:
        assert sorted(p.name for p in database.path.parent.iterdir() if p.name.startswith(".restore-")) == []

    # Restoring over a live database keeps the one it replaces beside it.
    again = manage(env, "restore", str(backup_file), "--noinput")
    assert "is kept as" in again.stdout
    print(
        f"\n[backup e2e, {'PostgreSQL' if database.postgres else 'SQLite'}] {len(before)} tables, "
        f"{sum(map(len, before.values()))} rows compared; backup {backup_file.stat().st_size:,} bytes in "
        f"{backup_seconds:.2f} s, restore of the destroyed database in {restore_seconds:.2f} s (each a new process)"
    )
