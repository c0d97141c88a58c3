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
>= 90 % of without. The whole default run takes about 25 minutes on 2 cores and needs ~15 GB of disk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
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
    """Rows for one model as tuples in its column order, from the fields' own defaults (prepared for this
    database once) with the columns the generator sets."""

    def __init__(self, model: Any, connection: Any) -> None:
        self.model = model
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
        template: list[Any] = []
        for f in self.fields:
            # A column without a default that the generator does not set is "" (text) or left to it (None).
            default = f.get_default() if f.has_default() else None
            if default is None and not f.null and f.get_internal_type() in ("CharField", "TextField"):
                default = ""
            template.append(None if default is None else f.get_db_prep_save(default, connection))
        self.template = template

    def row(self, **values: Any) -> list[Any]:
        row = self.template.copy()
        for name, value in values.items():
            row[self.position[name]] = value
        return row


class _Writer:
    """Fast inserts: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def moment(self, epoch: float) -> Any:
        value = datetime.fromtimestamp(epoch, UTC)
        return value if self.postgres else value.replace(tzinfo=None).isoformat(" ")

    def insert(self, table: _Table, rows: list[list[Any]]) -> None:
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.postgres:
                columns = ", ".join(f'"{c}"' for c in table.columns)
                with cursor.cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in table.columns)
                columns = ", ".join(f'"{c}"' for c in table.columns)
                cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', rows)

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


def _generate(n_reports: int, seed: int) -> dict[str, Any]:
    """Bulk rows for `n_reports` reports; returns the counts the figures must show."""
    from django.db import connection, transaction

    from hotline.cases.models import ILLEGAL_VERDICTS, Assessment, Case, Report, ReportedUrl
    from hotline.referrals.models import Referral, ReferralTiming
    from hotline.staff.factories import staff_user

    rng = random.Random(seed)  # made-up benchmark data
    writer = _Writer(connection)
    analyst = staff_user("analyst", email="bench-analyst@hotline.example", password=None)
    tables = {m: _Table(m, connection) for m in (Report, ReportedUrl, Case, Assessment, Referral, ReferralTiming)}
    report_t, url_t, case_t = tables[Report], tables[ReportedUrl], tables[Case]
    assess_t, referral_t, timing_t = tables[Assessment], tables[Referral], tables[ReferralTiming]
    start, end = _epoch(YEARS[0]), _epoch(YEARS[-1] + 1)
    bounds = [_epoch(y) for y in (*YEARS, YEARS[-1] + 1)]
    span = end - start
    channels = ["web"] * 45 + ["network"] * 35 + ["api"] * 8 + ["bookmark"] * 7 + ["share"] * 5
    partners = [f"Bench hotline {c}" for c in ("NL", "DE", "US", "FI", "FR", "CA", "AU", "BG", "PL", "IT")]
    verdicts = ["csam_baseline"] * 45 + ["csam_national"] * 10 + ["not_csam"] * 25 + ["harmful_not_illegal"] * 12
    verdicts += ["unreachable"] * 8
    countries = ["NL"] * 25 + ["US"] * 20 + ["DE"] * 8 + ["FR"] * 6 + ["BG"] * 5 + ["CA"] * 5 + ["SE"] * 4
    countries += ["RU", "UA", "LV", "LT", "RO", "HK", "JP", "SG", "GB", "PL", "CZ", "SK", "ES", "PT", "IT", "CH"]
    site_types = ["image_host", "file_host", "forum", "website", "social_network", "video_platform"]
    removal_hours = (2, 5, 12, 20, 30, 44, 60, 90, 200, 800)
    expected = {"reports": [0, 0, 0], "cases": [0, 0, 0], "illegal": [0, 0, 0]}
    pending: dict[Any, list[list[Any]]] = {t: [] for t in tables.values()}
    chunk = 50_000
    case_id = 0
    referral_id = 0
    t0 = time.perf_counter()

    def year_index(epoch: float) -> int:
        for i in range(len(YEARS)):
            if epoch < bounds[i + 1]:
                return i
        return len(YEARS) - 1

    def flush() -> None:
        # Every table at once, in one transaction: the rows of a chunk refer to each other.
        with transaction.atomic():
            for table, rows in pending.items():
                writer.insert(table, rows)
                rows.clear()

    recent: list[tuple[int, float]] = []
    if not writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    for r in range(1, n_reports + 1):
        at = start + (r - 0.5) * span / n_reports
        y = year_index(at)
        expected["reports"][y] += 1
        channel = rng.choice(channels)
        source = rng.choice(partners) if channel in ("network", "api") else ""
        moment = writer.moment(at)
        pending[report_t].append(
            report_t.row(
                id=r,
                public_id=f"{r:032x}",
                received_at=moment,
                triaged_at=moment,
                channel=channel,
                source_name=source,
                kind="online_material",
                language="sv",
            )
        )
        if recent and rng.random() < 0.6:
            case, _created = recent[rng.randrange(len(recent))]
        else:
            case_id += 1
            case = case_id
            recent.append((case, at))
            if len(recent) > 2_000:
                recent.pop(0)
            expected["cases"][y] += 1
            url = f"https://h{case % 50_000}.example.test/album/{case}"
            verdict = rng.choice(verdicts) if rng.random() < 0.9 else ""
            illegal = verdict in ILLEGAL_VERDICTS
            nexus = illegal and rng.random() < 0.12
            country = "SE" if nexus and rng.random() < 0.3 else rng.choice(countries)
            removed_at = None
            if illegal:
                expected["illegal"][y] += 1
                assessed = at + rng.randrange(1_200, 3 * 86_400)
                notice = assessed + rng.randrange(600, 14_400)
                removed = rng.random() < 0.85
                removed_at = notice + 3_600 * rng.choice(removal_hours) if removed else None
                referral_id += 1
                pending[referral_t].append(
                    referral_t.row(
                        id=referral_id,
                        reference=f"B{referral_id:011d}",
                        target="host_notice",
                        target_key="host_notice",
                        recipient_name=f"Example Hosting {country} {case % 40} (bench)",
                        recipient_country=country,
                        channel="email",
                        language="en",
                        state="content_removed" if removed else "not_removed",
                        planned_at=writer.moment(notice),
                        sent_at=writer.moment(notice),
                        content_removed_at=writer.moment(removed_at) if removed_at else None,
                        not_removed_at=None if removed_at else writer.moment(notice + 14 * 86_400),
                        removal_method="reported_by_host" if removed_at else "",
                        state_changed_at=writer.moment(removed_at or notice + 14 * 86_400),
                        case_id=case,
                    )
                )
                police = assessed + rng.randrange(3_600, 172_800) if nexus else None
                if police is not None:
                    referral_id += 1
                    pending[referral_t].append(
                        referral_t.row(
                            id=referral_id,
                            reference=f"B{referral_id:011d}",
                            target="police",
                            target_key="police",
                            recipient_name="Police (bench)",
                            recipient_country="SE",
                            channel="email",
                            language="sv",
                            state="sent",
                            planned_at=writer.moment(police),
                            sent_at=writer.moment(police),
                            state_changed_at=writer.moment(police),
                            case_id=case,
                        )
                    )
                pending[timing_t].append(
                    timing_t.row(
                        id=case,
                        case_id=case,
                        hosting_country=country,
                        first_report_at=moment,
                        police_referred_at=writer.moment(police) if police else None,
                        report_to_police_seconds=int(police - at) if police else None,
                        first_notice_at=writer.moment(notice),
                        first_notice_target="host_notice",
                        removed_at=writer.moment(removed_at) if removed_at else None,
                        removal_method="reported_by_host" if removed_at else "",
                        notice_to_removal_seconds=int(removed_at - notice) if removed_at else None,
                        report_to_removal_seconds=int(removed_at - at) if removed_at else None,
                        updated_at=writer.moment(removed_at or notice),
                    )
                )
            else:
                assessed = at + rng.randrange(1_200, 3 * 86_400)
            if verdict:
                pending[assess_t].append(
                    assess_t.row(
                        id=case,
                        case_id=case,
                        analyst_id=analyst.pk,
                        created_at=writer.moment(assessed),
                        status="confirmed",
                        verdict=verdict,
                        kind="online_material",
                        site_type=rng.choice(site_types),
                        nexus_server=nexus and country == "SE",
                        nexus_victim=nexus and country != "SE",
                    )
                )
            closed = bool(verdict)
            pending[case_t].append(
                case_t.row(
                    id=case,
                    kind="online_material",
                    state="closed" if closed else "new",
                    close_reason=(("removed" if removed_at else "no_action_possible") if illegal else "not_illegal")
                    if closed
                    else "",
                    canonical_url=url,
                    url_index=f"{case:064x}",
                    host=url.split("/")[2],
                    registered_domain="example.test",
                    created_at=moment,
                    state_changed_at=moment,
                    updated_at=moment,
                    report_count=1,
                    hosting_country=country if verdict else "",
                    channels=channel,
                    last_reported_at=moment,
                )
            )
        pending[url_t].append(
            url_t.row(
                id=r,
                position=0,
                url=f"https://h{case % 50_000}.example.test/album/{case}",
                url_index=f"{case:064x}",
                case_id=case,
                report_id=r,
            )
        )
        if r % chunk == 0:
            flush()
            if r % 1_000_000 == 0:
                print(f"  generated {r:,} reports ({time.perf_counter() - t0:.0f} s)", flush=True)
    flush()
    writer.reset_sequences(list(tables))
    if not writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = NORMAL")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "expected": expected,
        "cases": case_id,
        "referrals": referral_id,
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
