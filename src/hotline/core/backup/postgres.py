"""PostgreSQL: pg_dump (custom format) of an exported snapshot, the very snapshot the manifest is read from;
restore runs pg_restore into a new database, and two renames put it in the place of the live one."""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404  # runs pg_dump/pg_restore by absolute path, argument lists, no shell
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from hotline.core.backup.stream import BackupFileError

READ = 1 << 20
OPTION_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupFileError(
            f"{name} is not installed: PostgreSQL backups need the PostgreSQL client programs of the server's "
            f"major version or newer (Debian: apt-get install postgresql-client)."
        )
    return found


def environment(settings_dict: dict[str, Any], database: str) -> dict[str, str]:
    """libpq's variables for pg_dump/pg_restore: the password never appears on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": database,
        "PGCONNECT_TIMEOUT": str(settings_dict.get("OPTIONS", {}).get("connect_timeout", 10)),
    }
    for option, variable in OPTION_ENV.items():
        if value := settings_dict.get("OPTIONS", {}).get(option):
            values[variable] = str(value)
    env.update({k: v for k, v in values.items() if v})
    return env


def _failure(program: str, stderr: Any) -> BackupFileError:
    stderr.seek(0)
    lines = stderr.read().decode(errors="replace").strip().splitlines()[-5:]
    return BackupFileError(f"{program} failed: " + (" / ".join(lines) or "no message"))


def dump(settings_dict: dict[str, Any], snapshot_id: str, write: Callable[[bytes], None]) -> None:
    """Run pg_dump on the exported snapshot and hand its output to `write` as it comes."""
    command = [_tool("pg_dump"), "--format=custom", "--no-password", f"--snapshot={snapshot_id}"]
    env = environment(settings_dict, settings_dict["NAME"])
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env)  # nosec B603  # fixed argv, no shell
        assert process.stdout is not None
        try:
            while block := process.stdout.read(READ):
                write(block)
        finally:
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            raise _failure("pg_dump", stderr)


def load(settings_dict: dict[str, Any], database: str, role: str, pieces: Iterator[bytes]) -> None:
    """pg_restore `pieces` into the empty `database`, its objects owned by `role`. Raises BackupFileError
    (pg_restore's own message, or the reader's) on any failure; the caller drops the database then."""
    command = [
        _tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
        "--no-password", f"--role={role}", f"--dbname={database}",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # nosec B603  # fixed argv (database name from settings), no shell
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
            env=environment(settings_dict, database),
        )  # fmt: skip
        assert process.stdin is not None
        try:
            for piece in pieces:
                process.stdin.write(piece)
            process.stdin.close()
        except BrokenPipeError:
            process.wait()
            raise _failure("pg_restore", stderr) from None
        except BaseException:
            process.kill()
            process.wait()
            raise
        if process.wait() != 0:
            raise _failure("pg_restore", stderr)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def database_facts(cursor: Any, name: str) -> dict[str, str] | None:
    """Owner, encoding and locale of the database `name` (None: it does not exist)."""
    cursor.execute(
        "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype "
        "FROM pg_database WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return {"owner": row[0], "encoding": row[1], "collate": row[2], "ctype": row[3]}


def create(cursor: Any, name: str, *, owner: str, like: dict[str, str] | None, quote: Callable[[str], str]) -> None:
    options = f" OWNER {quote(owner)} TEMPLATE template0"
    if like:
        options += (
            f" ENCODING {_literal(like['encoding'])} LC_COLLATE {_literal(like['collate'])}"
            f" LC_CTYPE {_literal(like['ctype'])}"
        )
    cursor.execute(f"CREATE DATABASE {quote(name)}{options}")  # nosec B608  # quoted names; locale words from pg_database


def drop(cursor: Any, name: str, *, quote: Callable[[str], str]) -> None:
    cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")


def other_sessions(cursor: Any, name: str) -> int:
    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
    return int(cursor.fetchone()[0])


def swap(cursor: Any, live: str, restored: str, kept: str, *, quote: Callable[[str], str]) -> str | None:
    """Rename `live` to `kept` (if it exists) and `restored` to `live`. Returns the kept name or None."""
    exists = database_facts(cursor, live) is not None
    if exists:
        cursor.execute(f"ALTER DATABASE {quote(live)} RENAME TO {quote(kept)}")
    try:
        cursor.execute(f"ALTER DATABASE {quote(restored)} RENAME TO {quote(live)}")
    except Exception:
        if exists:  # put the live database back where it was
            cursor.execute(f"ALTER DATABASE {quote(kept)} RENAME TO {quote(live)}")
        raise
    return kept if exists else None
