"""Statistics benchmark (`make bench-insights`): the dashboard at national scale, the rebuild, and what the
rollups cost intake.

For each database (SQLite in a temporary file; PostgreSQL on a throwaway server this script starts with
scripts/start-postgres.sh, or the one --postgres names), in a child process of its own:
  1. intake with the rollup triggers on against off, in interleaved rounds (the same intake service the
     public form calls, in-process, so nothing but the write path is measured; median of the rounds' ratios);
  2. bulk-generates --reports made-up reports over three calendar years (one URL each; 40 % open a new case,
     the rest repeat a recent case), with a confirmed assessment for 90 % of the cases, and host notices,
     police referrals and referral timings for the illegal ones (reserved names, no texts), written with the
     triggers off as a bulk load would be;
  3. `rollups.rebuild()` (what `manage.py rebuild_rollups` runs), timed;
  4. checks the figures against the counts the generator kept (reports and cases per year, illegal cases);
  5. the dashboard's reads for a quarter and for a year: the figures and every table (p50 / p95 over
     --repeats calls), and the dashboard page itself through Django's test client when it exists.

    .venv/bin/python bench/insights.py                       # 10,000,000 reports, SQLite then PostgreSQL
    .venv/bin/python bench/insights.py --reports 1000000 --only sqlite
    .venv/bin/python bench/insights.py --postgres postgres://postgres@127.0.0.1:5433/postgres

Targets (issue 16): dashboard p95 < 150 ms at 10 M reports; rebuild < 5 min on SQLite; intake with rollups
>= 90 % of without. The whole default run takes about 40 minutes on 2 cores (SQLite ~15, PostgreSQL ~25)
and needs ~15 GB of disk.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
YEARS = (2023, 2024, 2025)
TARGET_P95_MS = 150.0
TARGET_REBUILD_S = 300.0
TARGET_INTAKE_RATIO = 0.90


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# --- the child: one database ----------------------------------------------------------------------------------
def _setup_django() -> None:
    sys.path.insert(0, str(SRC))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()


class _Table:
    """One model's bulk rows. The generator passes the columns it sets, each a list of Python values; every other
    column is a constant from the field's own default (prepared for this database once), written as a literal
    into the INSERT (SQLite) or as the same text at the end of every COPY line (PostgreSQL), so that only the
    varying columns are bound or formatted per row."""

    def __init__(self, model: Any, connection: Any) -> None:
        self.model = model
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.column = {f.attname: f.column for f in self.fields}
        self.template: dict[str, Any] = {}
        for f in self.fields:
            # A column without a default that the generator does not set is "" (text) or left to it (None).
            default = f.get_default() if f.has_default() else None
            if default is None and not f.null and f.get_internal_type() in ("CharField", "TextField"):
                default = ""
            self.template[f.attname] = None if default is None else f.get_db_prep_save(default, connection)
        self._statements: dict[tuple[str, ...], str] = {}

    def statement(self, names: tuple[str, ...], postgres: bool) -> str:
        """INSERT (SQLite, ? for `names`, literals for the rest) or COPY (PostgreSQL, `names` then the rest)."""
        key = (*names, str(postgres))
        if key not in self._statements:
            rest = [n for n in self.template if n not in names]
            columns = ", ".join(f'"{self.column[n]}"' for n in (*names, *rest))
            if postgres:
                sql = f'COPY "{self.name}" ({columns}) FROM STDIN'
            else:
                values = ", ".join(["?"] * len(names) + [_sql_literal(self.template[n]) for n in rest])
                sql = f'INSERT INTO "{self.name}" ({columns}) VALUES ({values})'  # constants, not input
            self._statements[key] = sql
        return self._statements[key]

    def copy_suffix(self, names: tuple[str, ...]) -> str:
        """The constant columns' text, as it ends every COPY line (after a tab), in statement()'s order."""
        return "\t".join(_copy_text(self.template[n]) for n in self.template if n not in names)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "obj") and type(value).__name__ in ("Json", "Jsonb"):  # psycopg's JSON wrapper
        return json.dumps(value.obj)
    if type(value).__name__.startswith("Int"):  # psycopg's Int2 / Int4 / Int8
        return int(value)
    return value


def _sql_literal(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r}")


def _copy_text(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        raise ValueError(f"COPY text would need escaping: {text!r}")
    return text


def _copy_column(values: list[Any]) -> list[str]:
    """One column's values as COPY text: the generator's values are str (never needing escapes: made-up names
    and digits), int, bool or None."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return [r"\N" if v is None else ("t" if v else "f") for v in values]
    if isinstance(sample, str) and None not in values:
        return values
    return [r"\N" if v is None else str(v) for v in values]


class _Writer:
    """Bulk inserts of column lists: executemany on SQLite (raw sqlite3 cursor), COPY text on PostgreSQL (one
    buffer per table and chunk)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def insert(self, table: _Table, columns: dict[str, list[Any]]) -> None:
        names = tuple(columns)
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"{table.name}: columns of different lengths {lengths}")
        if not lengths.pop():
            return
        raw = self.connection.connection  # the DB-API connection, inside Django's transaction
        if self.postgres:
            suffix = table.copy_suffix(names)
            parts = [_copy_column(columns[n]) for n in names]
            if len(names) < len(table.template):  # constant columns, even when the suffix is one "" column
                parts.append(list(itertools.repeat(suffix, len(parts[0]))))
            data = "\n".join(map("\t".join, zip(*parts, strict=True))) + "\n"
            with raw.cursor() as cursor, cursor.copy(table.statement(names, True)) as copy:
                copy.write(data)
        else:
            cursor = raw.cursor()
            try:
                cursor.executemany(table.statement(names, False), zip(*columns.values(), strict=True))
            finally:
                cursor.close()

    def reset_sequences(self, models: list[Any]) -> None:
        if not self.postgres:
            return
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)


def _triggers(on: bool) -> None:
    from django.db import connection

    from hotline.insights import triggers

    statements = triggers.create_statements(connection.vendor) if on else triggers.drop_statements(connection.vendor)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _bench_intake(rounds: int, per_round: int) -> dict[str, Any]:
    from hotline.insights.models import Change
    from hotline.intake import services

    counter = [0]

    def burst() -> float:
        started = time.perf_counter()
        for _ in range(per_round):
            counter[0] += 1
            n = counter[0]
            services.submit_report(
                channel="web", kind="online_material", urls=[f"https://intake{n}.example.test/page/{n}"]
            )
        return per_round / (time.perf_counter() - started)

    burst()  # warm up
    ratios, on_rates, off_rates = [], [], []
    for index in range(rounds):
        # Alternate which goes first, so a trend in the machine's load does not favour one side.
        order = (True, False) if index % 2 == 0 else (False, True)
        rates: dict[bool, float] = {}
        for on in order:
            _triggers(on)
            rates[on] = burst()
        _triggers(True)
        on_rates.append(rates[True])
        off_rates.append(rates[False])
        ratios.append(rates[True] / rates[False])
    changes = Change.objects.count()
    return {
        "on_per_s": statistics.median(on_rates),
        "off_per_s": statistics.median(off_rates),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "change_rows": changes,
    }


def _epoch(year: int) -> float:
    from hotline.insights import definitions

    return definitions.day_start(date(year, 1, 1)).timestamp()


def _moments(us: Any) -> Any:
    """UTC moments (integer microseconds since 1970) as "YYYY-MM-DD HH:MM:SS.ffffff": the text Django stores on
    SQLite (its comparisons are on this text), and that COPY reads as UTC under TIME ZONE 'UTC'."""
    import numpy as np

    text = np.asarray(us, dtype=np.int64).astype("datetime64[us]").astype("U26")
    text.view(np.uint32).reshape(len(text), 26)[:, 10] = ord(" ")  # "T" -> " ", in place
    return text


def _maybe(present: Any, values: Any) -> list[Any]:
    """values where present, else None, as a Python list."""
    out = values.astype(object)
    out[~present] = None
    return list(out.tolist())


def _schema(cursor: Any, postgres: bool, tables: list[str]) -> list[tuple[Any, ...]]:
    """What the bulk load drops and recreates, to check that it ends as it began."""
    if postgres:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [tables],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        return sorted(rows + cursor.fetchall())
    cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    return sorted(cursor.fetchall(), key=repr)


@contextlib.contextmanager
def _bulk_load(connection: Any, tables: list[str]) -> Any:
    """For the bench's own throwaway database: drop the loaded tables' secondary indexes (and, on PostgreSQL,
    their foreign keys, checked per row at commit otherwise) and recreate them after the load from their own
    definitions, which sorts once instead of updating every index per row; SQLite without a journal or syncs
    and with a 1 GB page cache meanwhile. Checks that the schema ends exactly as it began."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        before = _schema(cursor, postgres, tables)
        if postgres:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [tables],
            )
            # A partial index's predicate is not deparsed back to the same text once recreated: those stay.
            indexes = [(name, definition) for name, definition in cursor.fetchall() if " WHERE " not in definition]
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                [tables],
            )
            foreign_keys = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            pragmas: dict[str, Any] = {}
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND tbl_name IN ({marks})",
                tables,
            )
            indexes = cursor.fetchall()
            foreign_keys = []
            pragmas = {}
            for pragma in ("journal_mode", "synchronous", "cache_size", "temp_store"):
                cursor.execute(f"PRAGMA {pragma}")
                pragmas[pragma] = cursor.fetchone()[0]
            for pragma, value in (("journal_mode", "OFF"), ("synchronous", "OFF"), ("cache_size", -1_048_576)):
                cursor.execute(f"PRAGMA {pragma} = {value}")
            cursor.execute("PRAGMA temp_store = MEMORY")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        if postgres:
            cursor.execute("RESET maintenance_work_mem")
        for pragma, value in pragmas.items():
            cursor.execute(f"PRAGMA {pragma} = {value}")
        after = _schema(cursor, postgres, tables)
    if after != before:
        raise RuntimeError(f"the bulk load changed the schema: {set(before) ^ set(after)}")
    print(
        f"  recreated {len(indexes)} indexes and {len(foreign_keys)} foreign keys in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _generate(n_reports: int, seed: int, chunk: int = 250_000) -> dict[str, Any]:
    """Bulk rows for `n_reports` reports; returns the counts the figures must show.

    The draws are vectorised per chunk (numpy), and the expected counts are kept from the same arrays the rows
    are made of, independently of the database: the check after the rebuild compares the dashboard's figures
    with them."""
    import numpy as np
    from django.db import connection, transaction

    from hotline.cases.models import ILLEGAL_VERDICTS, Assessment, Case, Report, ReportedUrl
    from hotline.referrals.models import Referral, ReferralTiming
    from hotline.staff.factories import staff_user

    rng = np.random.default_rng(seed)  # made-up benchmark data
    writer = _Writer(connection)
    analyst = staff_user("analyst", email="bench-analyst@hotline.example", password=None)
    # Parents first: every row's foreign keys point at rows already written.
    models = [Case, Report, ReportedUrl, Assessment, Referral, ReferralTiming]
    tables = {m: _Table(m, connection) for m in models}
    report_t, url_t, case_t = tables[Report], tables[ReportedUrl], tables[Case]
    assess_t, referral_t, timing_t = tables[Assessment], tables[Referral], tables[ReferralTiming]
    second = 1_000_000  # moments are integer microseconds since 1970, UTC
    bounds = np.array([round(_epoch(y) * second) for y in (*YEARS, YEARS[-1] + 1)], dtype=np.int64)
    start, end = int(bounds[0]), int(bounds[-1])
    step = (end - start) / n_reports

    def weighted(pairs: list[tuple[str, int]]) -> tuple[Any, Any]:
        names = np.array([name for name, _ in pairs])
        weights = np.array([w for _, w in pairs], dtype=float)
        return names, weights / weights.sum()

    channels, channel_p = weighted([("web", 45), ("network", 35), ("api", 8), ("bookmark", 7), ("share", 5)])
    partners = np.array([f"Bench hotline {c}" for c in ("NL", "DE", "US", "FI", "FR", "CA", "AU", "BG", "PL", "IT")])
    verdicts, verdict_p = weighted(
        [
            ("csam_baseline", 45),
            ("csam_national", 10),
            ("not_csam", 25),
            ("harmful_not_illegal", 12),
            ("unreachable", 8),
        ]
    )
    illegal_verdicts = np.array(sorted(v.value for v in ILLEGAL_VERDICTS))
    countries = ["NL"] * 25 + ["US"] * 20 + ["DE"] * 8 + ["FR"] * 6 + ["BG"] * 5 + ["CA"] * 5 + ["SE"] * 4
    countries += ["RU", "UA", "LV", "LT", "RO", "HK", "JP", "SG", "GB", "PL", "CZ", "SK", "ES", "PT", "IT", "CH"]
    country_names = np.array(countries)
    site_types = np.array(["image_host", "file_host", "forum", "website", "social_network", "video_platform"])
    removal_hours = np.array([2, 5, 12, 20, 30, 44, 60, 90, 200, 800], dtype=np.int64)
    expected = {name: np.zeros(len(YEARS), dtype=np.int64) for name in ("reports", "cases", "illegal")}
    cases_before = 0
    referrals_before = 0
    t0 = time.perf_counter()

    def urls(case: Any) -> tuple[list[str], list[str]]:
        ids = case.tolist()
        return [f"https://h{c % 50_000}.example.test/album/{c}" for c in ids], [f"{c:064x}" for c in ids]

    def write(pending: list[tuple[_Table, dict[str, list[Any]]]]) -> None:
        # One transaction per chunk: its rows refer to each other.
        with transaction.atomic():
            if writer.postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # the moments' text is UTC
            for table, columns in pending:
                writer.insert(table, columns)

    with _bulk_load(connection, [t.name for t in tables.values()]):
        for first in range(1, n_reports + 1, chunk):
            r = np.arange(first, min(first + chunk, n_reports + 1), dtype=np.int64)
            m = len(r)
            at = (start + (r - 0.5) * step).astype(np.int64)
            year = np.searchsorted(bounds[1:-1], at, side="right")
            channel = rng.choice(channels, size=m, p=channel_p)
            partner = np.isin(channel, ("network", "api"))
            source = np.where(partner, rng.choice(partners, size=m), "")
            # 40 % open a new case; the rest repeat one of the 2,000 cases opened last.
            new = rng.random(m) >= 0.6
            if first == 1:
                new[0] = True
            opened = cases_before + np.cumsum(new)
            back = (rng.random(m) * np.minimum(opened, 2_000)).astype(np.int64)
            case = np.where(new, opened, opened - back)
            expected["reports"] += np.bincount(year, minlength=len(YEARS))

            # The new cases' draws.
            fresh = np.flatnonzero(new)
            c_id, c_at, c_year, c_channel = case[fresh], at[fresh], year[fresh], channel[fresh]
            k = len(fresh)
            judged = rng.random(k) < 0.9
            verdict = np.where(judged, rng.choice(verdicts, size=k, p=verdict_p), "")
            illegal = np.isin(verdict, illegal_verdicts)
            nexus = illegal & (rng.random(k) < 0.12)
            country = np.where(nexus & (rng.random(k) < 0.3), "SE", rng.choice(country_names, size=k))
            assessed = c_at + rng.integers(1_200, 3 * 86_400, size=k) * second
            notice = assessed + rng.integers(600, 14_400, size=k) * second
            removed = illegal & (rng.random(k) < 0.85)
            removal = 3_600 * rng.choice(removal_hours, size=k) * second
            removed_at = notice + removal
            police = assessed + rng.integers(3_600, 172_800, size=k) * second
            site_type = rng.choice(site_types, size=k)
            expected["cases"] += np.bincount(c_year, minlength=len(YEARS))
            expected["illegal"] += np.bincount(c_year[illegal], minlength=len(YEARS))

            at_text = _moments(at).tolist()
            c_at_text = [at_text[i] for i in fresh.tolist()]
            c_url, c_index = urls(c_id)
            close_reason = np.where(
                illegal, np.where(removed, "removed", "no_action_possible"), np.where(judged, "not_illegal", "")
            )
            pending: list[tuple[_Table, dict[str, list[Any]]]] = []
            pending.append(
                (
                    case_t,
                    {
                        "id": c_id.tolist(),
                        "kind": ["online_material"] * k,
                        "state": np.where(judged, "closed", "new").tolist(),
                        "close_reason": close_reason.tolist(),
                        "canonical_url": c_url,
                        "url_index": c_index,
                        "host": [f"h{c % 50_000}.example.test" for c in c_id.tolist()],
                        "registered_domain": ["example.test"] * k,
                        "created_at": c_at_text,
                        "state_changed_at": c_at_text,
                        "updated_at": c_at_text,
                        "report_count": [1] * k,
                        "hosting_country": np.where(judged, country, "").tolist(),
                        "channels": c_channel.tolist(),
                        "last_reported_at": c_at_text,
                    },
                )
            )
            pending.append(
                (
                    report_t,
                    {
                        "id": r.tolist(),
                        "public_id": [f"{i:032x}" for i in r.tolist()],
                        "received_at": at_text,
                        "triaged_at": at_text,
                        "channel": channel.tolist(),
                        "source_name": source.tolist(),
                        "kind": ["online_material"] * m,
                        "language": ["sv"] * m,
                    },
                )
            )
            # Each report's one URL is its case's (a repeat names a case of this or the previous chunk).
            low = int(case.min())
            span_url, span_index = urls(np.arange(low, int(case.max()) + 1, dtype=np.int64))
            at_case = (case - low).tolist()
            pending.append(
                (
                    url_t,
                    {
                        "id": r.tolist(),
                        "position": [0] * m,
                        "url": [span_url[i] for i in at_case],
                        "url_index": [span_index[i] for i in at_case],
                        "case_id": case.tolist(),
                        "report_id": r.tolist(),
                    },
                )
            )
            a = np.flatnonzero(judged)
            pending.append(
                (
                    assess_t,
                    {
                        "id": c_id[a].tolist(),
                        "case_id": c_id[a].tolist(),
                        "analyst_id": [analyst.pk] * len(a),
                        "created_at": _moments(assessed[a]).tolist(),
                        "status": ["confirmed"] * len(a),
                        "verdict": verdict[a].tolist(),
                        "kind": ["online_material"] * len(a),
                        "site_type": site_type[a].tolist(),
                        "nexus_server": (nexus[a] & (country[a] == "SE")).tolist(),
                        "nexus_victim": (nexus[a] & (country[a] != "SE")).tolist(),
                    },
                )
            )
            # A host notice for every illegal case, a police referral for the illegal ones with a nexus.
            i = np.flatnonzero(illegal)
            n_i = len(i)
            i_id, i_country, i_removed = c_id[i], country[i], removed[i]
            notice_text = _moments(notice[i])
            removed_text = _moments(removed_at[i])
            given_up = _moments(notice[i] + 14 * 86_400 * second)
            host_ids = range(referrals_before + 1, referrals_before + n_i + 1)
            pending.append(
                (
                    referral_t,
                    {
                        "id": list(host_ids),
                        "reference": [f"B{j:011d}" for j in host_ids],
                        "target": ["host_notice"] * n_i,
                        "target_key": ["host_notice"] * n_i,
                        "recipient_name": [
                            f"Example Hosting {c} {n % 40} (bench)"
                            for c, n in zip(i_country.tolist(), i_id.tolist(), strict=True)
                        ],
                        "recipient_country": i_country.tolist(),
                        "channel": ["email"] * n_i,
                        "language": ["en"] * n_i,
                        "state": np.where(i_removed, "content_removed", "not_removed").tolist(),
                        "planned_at": notice_text.tolist(),
                        "sent_at": notice_text.tolist(),
                        "content_removed_at": _maybe(i_removed, removed_text),
                        "not_removed_at": _maybe(~i_removed, given_up),
                        "removal_method": np.where(i_removed, "reported_by_host", "").tolist(),
                        "state_changed_at": np.where(i_removed, removed_text, given_up).tolist(),
                        "case_id": i_id.tolist(),
                    },
                )
            )
            p = np.flatnonzero(nexus)
            police_text = _moments(police[p]).tolist()
            police_ids = range(referrals_before + n_i + 1, referrals_before + n_i + len(p) + 1)
            pending.append(
                (
                    referral_t,
                    {
                        "id": list(police_ids),
                        "reference": [f"B{j:011d}" for j in police_ids],
                        "target": ["police"] * len(p),
                        "target_key": ["police"] * len(p),
                        "recipient_name": ["Police (bench)"] * len(p),
                        "recipient_country": ["SE"] * len(p),
                        "channel": ["email"] * len(p),
                        "language": ["sv"] * len(p),
                        "state": ["sent"] * len(p),
                        "planned_at": police_text,
                        "sent_at": police_text,
                        "state_changed_at": police_text,
                        "case_id": c_id[p].tolist(),
                    },
                )
            )
            referrals_before += n_i + len(p)
            i_nexus, i_at = nexus[i], c_at[i]
            pending.append(
                (
                    timing_t,
                    {
                        "id": i_id.tolist(),
                        "case_id": i_id.tolist(),
                        "hosting_country": i_country.tolist(),
                        "first_report_at": [at_text[j] for j in fresh[i].tolist()],
                        "police_referred_at": _maybe(i_nexus, _moments(police[i])),
                        "report_to_police_seconds": _maybe(i_nexus, (police[i] - i_at) // second),
                        "first_notice_at": notice_text.tolist(),
                        "first_notice_target": ["host_notice"] * n_i,
                        "removed_at": _maybe(i_removed, removed_text),
                        "removal_method": np.where(i_removed, "reported_by_host", "").tolist(),
                        "notice_to_removal_seconds": _maybe(i_removed, removal[i] // second),
                        "report_to_removal_seconds": _maybe(i_removed, (removed_at[i] - i_at) // second),
                        "updated_at": np.where(i_removed, removed_text, notice_text).tolist(),
                    },
                )
            )
            cases_before += k
            write(pending)
            done = int(r[-1])
            if done // 1_000_000 > (done - m) // 1_000_000:
                print(f"  generated {done:,} reports ({time.perf_counter() - t0:.0f} s)", flush=True)
    writer.reset_sequences(models)
    if writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "expected": {name: counts.tolist() for name, counts in expected.items()},
        "cases": cases_before,
        "referrals": referrals_before,
        "seconds": time.perf_counter() - t0,
    }


def _dashboard_page_client() -> Any:
    """A signed-in statistician's test client for the dashboard page, or None before the page exists."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("insights:dashboard")
    except NoReverseMatch:
        return None
    from hotline.staff.factories import login_verified, staff_user

    user = staff_user("statistician", email="bench-statistician@hotline.example")
    client = Client()
    login_verified(client, user)
    return client


def _time(call: Any, repeats: int) -> dict[str, float]:
    call()  # the first call warms caches and connections
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1_000)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def _bench_dashboard(repeats: int) -> dict[str, Any]:
    from django.urls import reverse

    from hotline.insights.period_form import period_params
    from hotline.insights.selectors.figures import figures, quarter, year
    from hotline.insights.selectors.tables import dashboard_tables

    out: dict[str, Any] = {}
    client = _dashboard_page_client()
    for name, period in (("quarter", quarter(YEARS[-1], 1)), ("year", year(YEARS[-1]))):
        out[f"{name}_reads"] = _time(lambda p=period: dashboard_tables(p, of=figures(p)), repeats)
        if client is not None:
            url = reverse("insights:dashboard")
            params = period_params(period)

            def page(url: str = url, params: dict[str, str] = params) -> None:
                answer = client.get(url, params)
                if answer.status_code != 200:
                    raise RuntimeError(f"dashboard answered {answer.status_code}")

            out[f"{name}_page"] = _time(page, repeats)
    return out


def child(args: argparse.Namespace) -> None:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from hotline.insights.selectors.figures import figures, year
    from hotline.insights.services import rollups

    result: dict[str, Any] = {"vendor": connection.vendor, "reports": args.reports}
    call_command("migrate", verbosity=0)
    print(f"[{connection.vendor}] intake with triggers on vs off ({args.intake_rounds} rounds)", flush=True)
    result["intake"] = _bench_intake(args.intake_rounds, args.intake_per_round)
    from hotline.cases.models import Report, ReportedUrl
    from hotline.insights.models import Change

    # The intake phase's reports are not part of the generated history.
    ReportedUrl.objects.all().delete()
    Report.objects.all().delete()
    _triggers(False)
    from hotline.cases.models import Case

    Case.objects.all().delete()
    Change.objects.all().delete()
    print(f"[{connection.vendor}] generating {args.reports:,} reports", flush=True)
    result["generate"] = _generate(args.reports, args.seed)
    _triggers(True)
    print(f"[{connection.vendor}] rebuild", flush=True)
    started = time.perf_counter()
    cases = rollups.rebuild()
    result["rebuild_s"] = time.perf_counter() - started
    result["rebuild_cases"] = cases
    expected = result["generate"]["expected"]
    wrong = []
    for index, y in enumerate(YEARS):
        f = figures(year(y))
        for name, got in (("reports", f.reports), ("cases", f.cases), ("illegal", f.illegal)):
            if got != expected[name][index]:
                wrong.append(f"{y} {name}: figures say {got}, the generator made {expected[name][index]}")
    result["wrong"] = wrong
    print(f"[{connection.vendor}] dashboard ({args.repeats} calls per period)", flush=True)
    result["dashboard"] = _bench_dashboard(args.repeats)
    Path(args.result).write_text(json.dumps(result))


# --- the parent: one child per database ----------------------------------------------------------------------
def _run_child(database_url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    result_file = tmp / "result.json"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "hotline.settings",
        "HOTLINE_ENV": os.environ.get("HOTLINE_ENV", "development"),
        "HOTLINE_VAR_DIR": str(tmp),
    }
    command = [
        sys.executable,
        __file__,
        "--child",
        "--result",
        str(result_file),
        "--reports",
        str(args.reports),
        "--repeats",
        str(args.repeats),
        "--seed",
        str(args.seed),
        "--intake-rounds",
        str(args.intake_rounds),
        "--intake-per-round",
        str(args.intake_per_round),
    ]
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return json.loads(result_file.read_text())


def _print(result: dict[str, Any]) -> None:
    where = "PostgreSQL" if result["vendor"] == "postgresql" else "SQLite"
    intake, generated, dashboard = result["intake"], result["generate"], result["dashboard"]
    print(
        f"\n== {where}: {result['reports']:,} reports, {generated['cases']:,} cases, "
        f"{generated['referrals']:,} referrals (generated in {generated['seconds']:.0f} s)"
    )
    print(
        f"intake with rollups: {intake['on_per_s']:.0f}/s vs without {intake['off_per_s']:.0f}/s = "
        f"{intake['ratio']:.0%} (median of rounds {', '.join(f'{r:.0%}' for r in intake['ratios'])}; "
        f"target >= {TARGET_INTAKE_RATIO:.0%})"
    )
    print(
        f"rebuild: {result['rebuild_s']:.0f} s for {result['rebuild_cases']:,} cases"
        + (f" (target < {TARGET_REBUILD_S:.0f} s on SQLite)" if where == "SQLite" else "")
    )
    for name, figures in dashboard.items():
        print(
            f"dashboard {name.replace('_', ' ')}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms "
            f"(target p95 < {TARGET_P95_MS:.0f} ms)"
        )
    if result["wrong"]:
        print("FIGURES WRONG:\n  " + "\n  ".join(result["wrong"]))
    else:
        print("figures match the generator's counts (reports, cases, illegal cases per year)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--intake-rounds", type=int, default=8)
    parser.add_argument("--intake-per-round", type=int, default=300)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--postgres", help="a PostgreSQL server's URL (default: start a throwaway one)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    print(f"bench/insights.py on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    results = []
    if args.only in (None, "sqlite"):
        tmp = Path(tempfile.mkdtemp(prefix="bench-insights-"))
        try:
            results.append(_run_child(f"sqlite:///{tmp / 'bench.sqlite3'}", args, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.only in (None, "postgresql"):
        server = args.postgres
        if server is None:
            started = subprocess.run(
                [str(ROOT / "scripts" / "start-postgres.sh"), "/tmp/hotline-bench-pg", "5439"],
                check=True,
                capture_output=True,
                text=True,
            )
            server = started.stdout.strip().splitlines()[-1]
        from intake import prepare_database  # bench/intake.py: a fresh database on that server, dropped after

        tmp = Path(tempfile.mkdtemp(prefix="bench-insights-"))
        url, drop = prepare_database(server, tmp)
        try:
            results.append(_run_child(url, args, tmp))
        finally:
            drop()
            shutil.rmtree(tmp, ignore_errors=True)
    for result in results:
        _print(result)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 1 if any(r["wrong"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
