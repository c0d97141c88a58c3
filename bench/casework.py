"""Casework benchmark (issue 4, item 10): triage throughput and queue-page latency at a million cases.

    make bench-casework            # or: .venv/bin/python bench/casework.py

Runs on its own fresh database: a new SQLite file under var/bench/ by default, or, when
DATABASE_URL names a PostgreSQL server, a fresh database "<name>_bench_casework" on that server
(the named database itself is never touched). Both are removed at the end (BENCH_KEEP=1 keeps them).

(a) Triage: N reports (mixed kinds and channels, a third of the URLs duplicates spelled
    differently; they arrive in id order over two days) are bulk-inserted, then triaged in this one
    process, each path on a set of its own:
      - baselines: per report, one transaction that reads the report's URLs, canonicalises them and
        inserts one row; and the same work per batch of HOTLINE_TRIAGE_BATCH reports;
      - services.triage_report (one report per transaction, BENCH_SINGLE_REPORTS of them);
      - services.triage_batch called directly, as the task calls it (batches of HOTLINE_TRIAGE_BATCH);
      - through the worker: one triage task per report enqueued (untimed, as intake does), then the
        real worker code `hotline.core.taskqueue.run_pending_tasks` drains the queue. It also runs the
        trace tasks triage queued, with hosting lookups answered by a local fake (no DNS or RDAP
        query leaves the process); the triage figure stops when the last triage task finishes (the
        trace tasks were queued after it) and the trace tasks are reported on their own line.
    Each path reports wall-clock reports/s, reports per CPU-second of this process (independent of
    other load on the machine; on PostgreSQL the server's own CPU is not in it) and SQL statements
    per report. BENCH_PROFILE=1 prints a cProfile of the direct batches.
(b) Queue: 1,000,000 cases are bulk-inserted (SQLite: executemany; PostgreSQL: COPY), then
    `/cases/` is requested as a signed-in analyst (django.test.Client, two factors verified) over
    many filters and pages. Baseline: a bare view behind the same middleware and access check.

Exit status 1 when a target is missed: triage >= 1,000 reports/s per process, queue p95 < 100 ms.
Tunables (environment): BENCH_REPORTS (5000), BENCH_CASES (1000000), BENCH_ROUNDS (10 per filter),
BENCH_TRIAGE_SECONDS (20: each triage path stops after this long and reports the rate so far),
BENCH_SINGLE_REPORTS (1000), BENCH_PARTS ("triage,queue": which parts run), BENCH_PROFILE (0),
HOTLINE_TRIAGE_BATCH (200: the batch size, as in production).
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]

TRIAGE_TARGET = 1000.0  # reports/s per process
QUEUE_P95_TARGET_MS = 100.0
N_REPORTS = int(os.environ.get("BENCH_REPORTS", "5000"))
N_CASES = int(os.environ.get("BENCH_CASES", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
TRIAGE_BUDGET = float(os.environ.get("BENCH_TRIAGE_SECONDS", "20"))  # per triage path, keeps the run <= 5 min
N_SINGLE = int(os.environ.get("BENCH_SINGLE_REPORTS", "1000"))  # the one-report-per-transaction comparison
PARTS = {p.strip() for p in os.environ.get("BENCH_PARTS", "triage,queue").split(",")}
PROFILE = os.environ.get("BENCH_PROFILE", "") == "1"
KEEP = os.environ.get("BENCH_KEEP", "") == "1"
SEED = 20260


def say(text: str) -> None:
    print(text, flush=True)


# --- a fresh database, chosen before Django starts ------------------------------------------------
def fresh_database() -> tuple[str, Any]:
    """Point DATABASE_URL at a new, empty database; return (vendor, cleanup function)."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(given)
        name = (parts.path.lstrip("/") or "postgres") + "_bench_casework"
        admin_url = urlunsplit(parts._replace(path="/postgres"))

        def admin(sql: str) -> None:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(sql)

        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + name))

        def cleanup() -> None:
            from django.db import connections

            connections.close_all()
            if not KEEP:
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return "postgresql", cleanup
    if given and not given.startswith("sqlite"):
        sys.exit(f"bench/casework.py: DATABASE_URL must be sqlite:// or postgres://, not {given.split(':')[0]}://")
    bench_dir = REPO / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    path = bench_dir / f"casework-{os.getpid()}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        if not KEEP:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    return "sqlite", cleanup


VENDOR, CLEANUP = fresh_database()
os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
os.environ["HOTLINE_DEBUG"] = "0"  # no query log
os.environ.setdefault("HOTLINE_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from hotline.cases.canonical import canonicalize_url  # noqa: E402
from hotline.cases.models import Case, Report, ReportedUrl  # noqa: E402
from hotline.core.authz import ANALYST, staff_required  # noqa: E402
from hotline.core.crypto import IndexPurpose, blind_index  # noqa: E402


# --- URLs of this run: the real ones plus a bare view as the latency baseline ----------------------
@staff_required(ANALYST)
def bare_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare_view), path("", include("hotline.urls"))]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "+".join("-" * (w + 2) for w in widths)
    say(line)
    say(" | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    say(line)
    for r in rows:
        say(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    say(line)


# --- (a) triage --------------------------------------------------------------------------------
SITUATION_KINDS = ["trafficking", "grooming", "sextortion", "travelling_offender", "other"]
CHANNELS = [("web", ""), ("bookmark", ""), ("share", ""), ("api", "partner-a"), ("api", "partner-b")]
CHANNELS += [("network", "hotline-x"), ("staff", "")]
CHANNEL_WEIGHTS = [70, 5, 5, 7, 5, 6, 2]


def respell(url: str, rng: random.Random) -> str:
    """The same URL as another reporter might paste it: case, tracking, fragment, default port."""
    parts = urlsplit(url)
    host = parts.netloc.upper() if rng.random() < 0.3 else parts.netloc
    if rng.random() < 0.3:
        host += ":443" if parts.scheme == "https" else ":80"
    query = parts.query
    if rng.random() < 0.5:
        query = f"{query}&utm_source=share&utm_medium=app" if query else "utm_source=share"
    fragment = "top" if rng.random() < 0.3 else ""
    return urlunsplit((parts.scheme.upper() if rng.random() < 0.2 else parts.scheme, host, parts.path, query, fragment))


def make_reports(n: int, *, tag: str, rng: random.Random) -> dict[int, list[str]]:
    """Bulk-insert n reports with their URLs; returns {report id: its URLs as reported}.

    Reports arrive over the last two days in id order (received_at rises with the id), as intake
    stores them: the order their triage tasks are queued in is the order they arrived in."""
    now = timezone.now()
    arrivals = sorted(now - timedelta(minutes=rng.randint(0, 2 * 24 * 60)) for _ in range(n))
    reports: list[Report] = []
    url_lists: list[list[str]] = []
    pool: list[str] = []
    for i in range(n):
        channel, source = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        situation = rng.random() < 0.15
        kind = rng.choice(SITUATION_KINDS) if situation else "online_material"
        reports.append(
            Report(
                received_at=arrivals[i],
                channel=channel,
                source_name=source,
                kind=kind,
                description=f"Benchmark report {tag}-{i}, neutral made-up text.",
                nexus_victim="yes" if rng.random() < 0.04 else "unknown",
                nexus_offender="yes" if rng.random() < 0.03 else "unknown",
                nexus_place="yes" if rng.random() < 0.05 else "no",
            )
        )
        urls: list[str] = []
        if not situation:
            for _ in range(rng.choices([1, 2, 3], [80, 15, 5])[0]):
                if pool and rng.random() < 0.35:
                    urls.append(respell(rng.choice(pool), rng))
                else:
                    k = len(pool)
                    url = f"https://site{k % 701}.{tag}-host{k % 37}.example/gallery/{k}/view?id={k}&page=1"
                    pool.append(url)
                    urls.append(url)
        url_lists.append(urls)
    with transaction.atomic():
        Report.objects.bulk_create(reports, batch_size=500)
        ReportedUrl.objects.bulk_create(
            [
                ReportedUrl(report=r, position=p, url=u, url_index=blind_index(u, purpose=IndexPurpose.REPORTED_URL))
                for r, urls in zip(reports, url_lists, strict=True)
                for p, u in enumerate(urls)
            ],
            batch_size=500,
        )
    return {r.pk: urls for r, urls in zip(reports, url_lists, strict=True)}


def create_baseline_table() -> None:
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_baseline")
        key = "integer PRIMARY KEY" if VENDOR == "sqlite" else "bigserial PRIMARY KEY"
        cur.execute(f"CREATE TABLE bench_baseline (id {key}, report_id bigint, url_index varchar(64))")


class QueryCounter:
    """Counts the SQL statements run (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@dataclass
class Run:
    """One measured path: reports handled, wall and CPU seconds of this process, SQL statements."""

    reports: int
    wall: float
    cpu: float
    queries: int

    @property
    def rate(self) -> float:
        return self.reports / max(self.wall, 1e-9)

    @property
    def cpu_rate(self) -> float:
        return self.reports / max(self.cpu, 1e-9)

    @property
    def per_report(self) -> float:
        return self.queries / max(1, self.reports)


def measured(fn: Any) -> Run:
    """Run fn() -> reports handled, counting wall time, this process's CPU time and SQL statements."""
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        done = fn()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Run(done, elapsed, cpu, counter.count)


def per_report(report_ids: list[int], step: Any, budget: float) -> Run:
    """step(id) for each id until done or `budget` seconds passed."""

    def loop() -> int:
        started, done = time.perf_counter(), 0
        for report_id in report_ids:
            step(report_id)
            done += 1
            if time.perf_counter() - started > budget:
                break
        return done

    return measured(loop)


def baseline_step(report_id: int) -> None:
    """The floor of the per-report path: one transaction reading the report's URLs, canonicalising them,
    inserting one row."""
    with transaction.atomic():
        urls = list(ReportedUrl.objects.filter(report_id=report_id).values_list("url", flat=True))
        index = ""
        for url in urls:
            index = blind_index(canonicalize_url(url).url, purpose=IndexPurpose.CASE_URL)
        with connection.cursor() as cur:
            cur.execute("INSERT INTO bench_baseline (report_id, url_index) VALUES (%s, %s)", [report_id, index])


def baseline_batches(report_ids: list[int], size: int, budget: float) -> Run:
    """The floor of the batched path: per `size` reports, one transaction reading their URLs (decrypted),
    canonicalising and indexing each, inserting one row per report with one executemany."""

    def loop() -> int:
        started, done = time.perf_counter(), 0
        for start in range(0, len(report_ids), size):
            chunk = report_ids[start : start + size]
            with transaction.atomic():
                index_of: dict[int, str] = {}
                for report_id, url in ReportedUrl.objects.filter(report_id__in=chunk).values_list("report_id", "url"):
                    index_of[report_id] = blind_index(canonicalize_url(url).url, purpose=IndexPurpose.CASE_URL)
                with connection.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO bench_baseline (report_id, url_index) VALUES (%s, %s)",
                        [(pk, index_of.get(pk, "")) for pk in chunk],
                    )
            done += len(chunk)
            if time.perf_counter() - started > budget:
                break
        return done

    return measured(loop)


def direct_batches(report_ids: list[int], budget: float) -> Run:
    """services.triage_batch called directly, as the task does, until every report is triaged."""
    from hotline.cases.services import triage_batch

    def loop() -> int:
        started, done = time.perf_counter(), 0
        waiting = sorted(report_ids, reverse=True)  # pop() gives the lowest id
        untriaged = set(report_ids)
        while waiting:
            first = waiting.pop()
            if first not in untriaged:
                continue
            batch = triage_batch(first_report_id=first)
            untriaged.difference_update(batch.triaged)
            done += len(batch.triaged)
            if time.perf_counter() - started > budget:
                break
        return done

    return measured(loop)


def fake_trace_network(host: str) -> Any:
    """The local fake of hosting lookups (no DNS, no RDAP, nothing leaves this process): one documentation
    address in a country, so the real record_outcome writes what a successful trace writes."""
    from hotline.tracing.network_trace import AddressFacts, TraceOutcome

    now = timezone.now()
    return TraceOutcome(
        host=host,
        started_at=now,
        finished_at=now,
        cname_chain=[host],
        addresses=[
            AddressFacts(
                ip=f"192.0.2.{zlib.crc32(host.encode()) % 254 + 1}",
                record_type="A",
                country="NL",
                country_method="mmdb",
                asn=64501,
                as_org="Example Hosting NL",
                rdap_status="ok",
            )
        ],
    )


def worker_triage(report_ids: list[int]) -> tuple[Run, Run, int, int]:
    """Enqueue one triage task per report (untimed, as intake does), then time the real worker code,
    hotline.core.taskqueue.run_pending_tasks, until the queue is empty. It also runs the trace tasks triage
    queued (their lookups answered by fake_trace_network): the triage phase ends when the last triage
    task finishes (every trace task was queued after it, so runs after it). Returns (triage phase,
    trace phase, triage tasks run, trace tasks run)."""
    from django_tasks.signals import task_finished
    from django_tasks_db.models import DBTaskResult

    from hotline.cases.tasks import triage_reports
    from hotline.core.taskqueue import run_pending_tasks
    from hotline.tracing import services as tracing_services

    with transaction.atomic():
        # The trace tasks the direct paths queued are not run: only this path's tasks are in the queue.
        DBTaskResult.objects.all().delete()
        for report_id in report_ids:
            triage_reports.enqueue(report_id)
    counter = QueryCounter()
    marks: list[tuple[str, float, float, int]] = []

    def on_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
        marks.append((task_result.task.module_path, time.perf_counter(), time.process_time(), counter.count))

    real_trace_network = tracing_services.trace_network
    tracing_services.trace_network = fake_trace_network  # type: ignore[assignment]
    task_finished.connect(on_finished)
    try:
        with connection.execute_wrapper(counter):
            started, cpu = time.perf_counter(), time.process_time()
            ran = run_pending_tasks(max_tasks=len(report_ids) * 4 + 100)
            ended, cpu_end = time.perf_counter(), time.process_time()
    finally:
        task_finished.disconnect(on_finished)
        tracing_services.trace_network = real_trace_network  # type: ignore[assignment]
    paths = [m[0] for m in marks]
    triage_tasks = paths.count(triage_reports.module_path)
    last = max(i for i, path in enumerate(paths) if path == triage_reports.module_path)
    assert all(path == triage_reports.module_path for path in paths[:last]), (
        "a trace task ran between triage tasks",
        paths[: last + 1],
    )
    _, t_end, c_end, q_end = marks[last]
    triaged = Report.objects.filter(pk__in=report_ids).exclude(triaged_at=None).count()
    triage = Run(triaged, t_end - started, c_end - cpu, q_end)
    traces = Run(ran - triage_tasks, ended - t_end, cpu_end - c_end, counter.count - q_end)
    return triage, traces, triage_tasks, ran - triage_tasks


def drop_untriaged(report_ids: list[int]) -> None:
    """Reports a time-limited path left over would be drained by the next path's batches: remove them."""
    with transaction.atomic():
        Report.objects.filter(pk__in=report_ids, triaged_at=None).delete()


def check_triage(reports: dict[int, list[str]]) -> tuple[int, str, bool]:
    """Every processed report triaged, and exactly one case per distinct canonical URL among them."""
    done = set(Report.objects.filter(pk__in=list(reports)).exclude(triaged_at=None).values_list("pk", flat=True))
    expected = {canonicalize_url(u).url for pk in done for u in reports[pk]}
    url_cases = Case.objects.filter(reported_urls__report_id__in=done).exclude(url_index=None).distinct().count()
    situation = Case.objects.filter(situation_reports__in=done).count()
    expected_situation = sum(1 for pk in done if not reports[pk])
    counted = set(
        Case.objects.filter(reported_urls__report_id__in=done).exclude(url_index=None).values_list("pk", flat=True)
    )
    total_reports = sum(Case.objects.filter(pk__in=counted).values_list("report_count", flat=True))
    # Each report counts once on each distinct case it names (two spellings in one report count once).
    expected_reports = sum(len({canonicalize_url(u).url for u in reports[pk]}) for pk in done)
    ok = url_cases == len(expected) and situation == expected_situation and total_reports == expected_reports
    return (
        len(done),
        (
            f"{len(done)} reports triaged: {url_cases} URL cases for {len(expected)} distinct canonical URLs "
            f"({total_reports} reports counted on them, {expected_reports} expected), "
            f"{situation} situation cases for {expected_situation} reports without URL{'' if ok else ' -- MISMATCH'}"
        ),
        ok,
    )


def measure_canonicalize() -> float:
    samples = [
        "https://www.Example.test/gallery/12/view?id=12&utm_source=x#top",
        "http://bücher.example/ä/ö?q=1",
        "http://192.0.2.1/a/./b/../c",
        "example.test/a//b?fbclid=1&x=2",
    ]
    rounds = 5000
    started = time.process_time()  # CPU time: the figure does not depend on other load
    for _ in range(rounds):
        for url in samples:
            canonicalize_url(url)
    return (time.process_time() - started) / (rounds * len(samples)) * 1e6


def profiled(fn: Any) -> Any:
    """BENCH_PROFILE=1: run fn under cProfile and print where the time goes (by own time)."""
    if not PROFILE:
        return fn()
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    value = profile.runcall(fn)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)
    say(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
    say(out.getvalue())
    return value


def bench_triage(results: list[tuple[str, str, str, str]]) -> bool:
    from hotline.cases.conf import triage_batch_limit
    from hotline.cases.services import triage_report

    size = triage_batch_limit()
    rng = random.Random(SEED)
    t0 = time.perf_counter()
    set_a = make_reports(N_REPORTS, tag="a", rng=rng)
    ids_a = sorted(set_a)
    say(f"  inserted {N_REPORTS:,} reports in {time.perf_counter() - t0:.1f} s; batches of {size}")
    create_baseline_table()
    base = per_report(ids_a, baseline_step, TRIAGE_BUDGET)
    base_batched = baseline_batches(ids_a, size, TRIAGE_BUDGET)

    # The per-report path (a batch of one, as services.triage_report does), on a set of its own.
    set_s = make_reports(N_SINGLE, tag="s", rng=rng)
    ids_s = sorted(set_s)
    single = per_report(ids_s, lambda pk: triage_report(report_id=pk), TRIAGE_BUDGET)
    done_s, text_s, ok_s = check_triage(set_s)
    say(f"  one at a time: {text_s}")
    drop_untriaged(ids_s)

    direct = profiled(lambda: direct_batches(ids_a, TRIAGE_BUDGET))
    done_a, text_a, ok_a = check_triage(set_a)
    say(f"  direct batches: {text_a}")
    drop_untriaged(ids_a)

    # The worker gets about as many reports as the direct batches managed in their time budget.
    set_b = make_reports(max(50, min(N_REPORTS, direct.reports)), tag="b", rng=rng)
    ids_b = sorted(set_b)
    worker, traces, triage_tasks, trace_tasks = worker_triage(ids_b)
    done_b, text_b, ok_b = check_triage(set_b)
    say(f"  worker: {triage_tasks} triage tasks ran for {len(ids_b)} queued; {text_b}")
    say(
        f"  then {trace_tasks} trace tasks (lookups faked) in {traces.wall:.1f} s "
        f"({traces.cpu * 1000 / max(1, trace_tasks):.2f} ms CPU each)"
    )

    target = f">= {TRIAGE_TARGET:,.0f}/s"

    def verdict(run: Run) -> str:
        return f"{target}: {'ok' if run.rate >= TRIAGE_TARGET else 'MISSED'}"

    def row(name: str, run: Run, judged: bool) -> None:
        results.append(
            (
                name,
                f"{run.rate:,.0f} reports/s ({run.cpu_rate:,.0f} per CPU-s, {run.per_report:.2f} SQL/report)",
                f"{run.rate / base.rate:.2f}x",
                verdict(run) if judged else "-",
            )
        )

    row("triage: baseline, per report (read URLs, canonicalise, 1 insert)", base, False)
    row(f"triage: baseline, batches of {size} (same work, 1 transaction each)", base_batched, False)
    row("triage: services.triage_report, one report per transaction", single, False)
    row(f"triage: services.triage_batch, direct (batches of {size})", direct, True)
    row("triage: through the worker (run_pending_tasks)", worker, True)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_baseline")
    complete = ok_s and ok_a and ok_b and done_s == single.reports and done_a == direct.reports
    complete = complete and done_b == worker.reports == len(ids_b)
    if not complete:
        say("  TRIAGE RESULT WRONG: see the MISMATCH above.")
    return direct.rate >= TRIAGE_TARGET and worker.rate >= TRIAGE_TARGET and complete


# --- (b) the queue at a million cases ------------------------------------------------------------
STATES = ["new", "triaged", "in_assessment", "assessed", "referred", "monitoring", "closed"]
# Per 100,000: a large backlog waiting for a first look, a handful in assessment (one per analyst
# at a time), most closed. Claims: every case in assessment, and a few triaged ones (some expired).
STATE_WEIGHTS = [10, 15_000, 20, 500, 2_000, 3_000, 79_470]
KINDS = ["online_material", "trafficking", "grooming", "sextortion", "travelling_offender", "other"]
KIND_WEIGHTS = [88, 2, 3, 3, 1, 3]
COUNTRIES = ["US", "NL", "DE", "RU", "FR", "BG", "UA", "CA", "GB", "SE", "HK", "SG", "LU", ""]
COUNTRY_WEIGHTS = [24, 20, 10, 8, 6, 5, 4, 4, 4, 2, 3, 3, 2, 5]
CHANNEL_SETS = [",web,", ",api,", ",network,", ",bookmark,", ",share,", ",staff,", ",api,web,", ",network,web,"]
CHANNEL_SET_WEIGHTS = [60, 12, 8, 4, 4, 2, 6, 4]


def make_analysts(count: int) -> list[Any]:
    from hotline.testing import staff_user

    return [
        staff_user(ANALYST, email=f"bench-analyst{i}@hotline.example", password=None, device_name="bench")
        for i in range(count)
    ]


def signed_in_client(user: Any) -> Client:
    """Signed in, second factor verified (as the tests sign in)."""
    from hotline.testing import login_verified

    return login_verified(Client(), user)


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes that no constraint owns."""
    with connection.cursor() as cur:
        if VENDOR == "sqlite":
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
            return [(name, sql) for name, sql in cur.fetchall() if sql]  # autoindexes (UNIQUE) have no sql
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [table],
        )
        return list(cur.fetchall())


def insert_cases(n: int, analyst_ids: list[int]) -> float:
    """Bulk-insert n cases with a realistic spread: raw executemany (SQLite) or COPY (PostgreSQL),
    with the secondary indexes dropped during the load and built again afterwards."""
    rng = random.Random(SEED + 1)
    now = timezone.now().replace(microsecond=0)
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    canonical_field = Case._meta.get_field("canonical_url")
    ciphertexts = [
        canonical_field.get_db_prep_save(f"https://site{i}.bench-host.example/item/{i}", connection) for i in range(64)
    ]
    started = time.perf_counter()
    states = rng.choices(STATES, STATE_WEIGHTS, k=n)
    kinds = rng.choices(KINDS, KIND_WEIGHTS, k=n)
    countries = rng.choices(COUNTRIES, COUNTRY_WEIGHTS, k=n)
    channel_sets = rng.choices(CHANNEL_SETS, CHANNEL_SET_WEIGHTS, k=n)
    bands = rng.choices([(0, 140), (150, 290), (300, 1000)], [80, 15, 5], k=n)
    priorities = [rng.randint(lo, hi) for lo, hi in bands]
    nexus = [rng.random() < 0.05 for _ in range(n)]
    ages = [int(rng.expovariate(1 / (200 * 86400))) % (3 * 365 * 86400) for _ in range(n)]
    if VENDOR == "sqlite":  # what Django stores there: naive UTC text
        base: Any = timezone.make_naive(now, UTC)
        adapt: Any = str
    else:
        base, adapt = now, (lambda dt: dt)
    claimed_until = adapt(base + timedelta(minutes=30))
    expired_claim = adapt(base - timedelta(minutes=30))
    close_reasons = ["removed", "not_illegal", "duplicate"]
    template = {}
    for f in fields:
        if f.has_default() or f.null or f.blank:
            template[f.name] = f.get_db_prep_save(f.get_default(), connection)
    pick = itemgetter(*[f.name for f in fields])

    def rows() -> Any:
        for i in range(n):
            created = adapt(base - timedelta(seconds=ages[i]))
            state = states[i]
            situation = kinds[i] != "online_material"
            claimed = state == "in_assessment" or (state == "triaged" and i % 500 == 0)
            row = template.copy()
            row.update(
                kind=kinds[i],
                state=state,
                close_reason=close_reasons[i % 3] if state == "closed" else "",
                priority=priorities[i],
                created_at=created,
                state_changed_at=created,
                updated_at=created,
                last_reported_at=created,
                queued_at=created,
                report_count=1 + (i % 7 == 0) + (i % 31 == 0),
                independent_reporters=1 + (i % 7 == 0),
                channels=channel_sets[i],
                nexus_hint=nexus[i],
                nexus_victim_hint=nexus[i] and i % 2 == 0,
                nexus_offender_hint=False,
                nexus_place_hint=nexus[i] and i % 2 == 1,
            )
            if claimed:
                row["claimed_by"] = analyst_ids[i % len(analyst_ids)]
                row["claimed_until"] = claimed_until if i % 1000 else expired_claim
            if not situation:
                row.update(
                    canonical_url=ciphertexts[i % 64],
                    url_index=f"{i:064x}",
                    host=f"site{i % 90001}.host{i % 4099}.example",
                    registered_domain=f"host{i % 4099}.example",
                    hosting_country=countries[i],
                )
            yield pick(row)

    indexes = secondary_indexes("cases_case")
    with connection.cursor() as cur:
        for name, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    if VENDOR == "postgresql":
        with connection.cursor() as cur, cur.cursor.copy(f"COPY cases_case ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows():
                copy.write_row(row)
    else:
        sql = f"INSERT INTO cases_case ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        with transaction.atomic(), connection.cursor() as cur:
            batch: list[tuple[Any, ...]] = []
            for row in rows():
                batch.append(row)
                if len(batch) == 20_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
    loaded = time.perf_counter() - started
    with connection.cursor() as cur:
        for _name, sql in indexes:
            cur.execute(sql)
        if VENDOR == "postgresql":
            cur.execute("ANALYZE cases_case")  # autovacuum would do this within a minute
    rebuilt = time.perf_counter() - started - loaded
    say(f"  loaded rows in {loaded:.1f} s, rebuilt {len(indexes)} indexes in {rebuilt:.1f} s")
    return time.perf_counter() - started


CPU_MS: dict[str, list[float]] = {}


def timed_get(client: Client, url: str, kind: str = "") -> tuple[float, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if kind:
        CPU_MS.setdefault(kind, []).append((time.process_time() - cpu) * 1000)
    if response.status_code != 200:
        raise SystemExit(f"bench/casework.py: GET {url} answered {response.status_code}")
    return elapsed, response


CURSOR_RE = re.compile(r"after=([A-Za-z0-9_\-.:=%]+)")


def bench_queue(results: list[tuple[str, str, str, str]]) -> bool:
    analysts = make_analysts(8)
    insert_s = insert_cases(N_CASES, [a.pk for a in analysts])
    total = Case.objects.count()
    say(f"  inserted {N_CASES:,} cases in {insert_s:.1f} s ({N_CASES / insert_s:,.0f} rows/s); {total:,} cases in all")
    results.append(("queue: bulk insert of cases", f"{insert_s:.1f} s", f"{N_CASES:,} rows", "< 120 s"))
    me = analysts[0]
    client = signed_in_client(me)
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    filters = [
        "",
        "state=open",
        "state=all",
        "state=triaged",
        "state=in_assessment",
        "state=closed",
        "kind=online_material",
        "kind=trafficking",
        "kind=grooming",
        "channel=web",
        "channel=api",
        "channel=network",
        "country=NL",
        "country=US",
        "country=SE",
        "nexus=yes",
        "nexus=no",
        "assigned=me",
        "assigned=none",
        f"assigned={analysts[1].pk}",
        "kind=online_material&country=NL&nexus=no",
        "state=open&channel=api&country=DE",
        "kind=sextortion&nexus=yes",
        "state=all&country=SE&channel=network",
    ]
    # Warm up (templates, first connection) outside the measurement.
    for _ in range(3):
        timed_get(client, "/cases/")
        timed_get(client, "/bench/bare/")
    bare = [timed_get(client, "/bench/bare/", "bare")[0] for _ in range(max(200, ROUNDS * 20))]
    queue: list[float] = []
    per_filter: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for query in filters:
            ms, _response = timed_get(client, "/cases/" + ("?" + query if query else ""), "queue")
            queue.append(ms)
            per_filter.setdefault(query or "(default)", []).append(ms)
    # Walk deeper pages of the default queue and of one filter, following the page's own "next" link.
    for start in ("", "country=NL"):
        url = "/cases/" + ("?" + start if start else "")
        for _ in range(ROUNDS * 2):
            ms, response = timed_get(client, url, "queue")
            queue.append(ms)
            per_filter.setdefault(f"next pages of {start or '(default)'}", []).append(ms)
            found = CURSOR_RE.search(response.content.decode())
            if not found:
                break
            url = "/cases/?" + (start + "&" if start else "") + "after=" + found.group(1)
    p50, p95, p99 = (percentile(queue, q) for q in (0.5, 0.95, 0.99))
    b50, b95, b99 = (percentile(bare, q) for q in (0.5, 0.95, 0.99))
    ok = p95 < QUEUE_P95_TARGET_MS
    results.append(("queue: bare view (baseline)", f"p50 {b50:.1f} / p95 {b95:.1f} / p99 {b99:.1f} ms", "1.00x", "-"))
    results.append(
        (
            f"queue: /cases/ ({len(queue)} requests, {len(per_filter)} filters/pages)",
            f"p50 {p50:.1f} / p95 {p95:.1f} / p99 {p99:.1f} ms",
            f"{p95 / b95:.1f}x at p95",
            f"p95 < {QUEUE_P95_TARGET_MS:.0f} ms: {'ok' if ok else 'MISSED'}",
        )
    )
    c50, c95 = percentile(CPU_MS["queue"], 0.5), percentile(CPU_MS["queue"], 0.95)
    cb50, cb95 = percentile(CPU_MS["bare"], 0.5), percentile(CPU_MS["bare"], 0.95)
    results.append(
        (
            "queue: CPU time of this process per request",
            f"/cases/ p50 {c50:.1f} / p95 {c95:.1f} ms; bare p50 {cb50:.1f} / p95 {cb95:.1f} ms",
            f"{c95 / max(cb95, 1e-9):.1f}x at p95",
            "(independent of load)",
        )
    )
    say("  per filter (ms):")
    table(
        [
            (name, f"{statistics.median(v):.1f}", f"{percentile(v, 0.95):.1f}", f"{max(v):.1f}", str(len(v)))
            for name, v in per_filter.items()
        ],
        ("filter", "p50", "p95", "max", "n"),
    )
    return ok and insert_s < 120


def main() -> int:
    started = time.perf_counter()
    db = settings.DATABASES["default"]
    say(
        f"Casework benchmark on {VENDOR} ({db['NAME']}), {os.cpu_count()} CPUs, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)"
    )
    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        say(f"  migrated a fresh database in {time.perf_counter() - t0:.1f} s")
        results: list[tuple[str, str, str, str]] = []
        ok_triage = ok_queue = True
        if "triage" in PARTS:
            us = measure_canonicalize()
            results.append(("canonicalize_url (pure)", f"{us:.1f} µs CPU per URL", "-", "-"))
            say(f"(a) triage of {N_REPORTS:,} reports: baselines, one at a time, batches direct, through the worker")
            ok_triage = bench_triage(results)
        if "queue" in PARTS:
            say(f"(b) queue page with {N_CASES:,} cases")
            ok_queue = bench_queue(results)
    finally:
        CLEANUP()
    say("")
    table(results, ("what", "figure", "vs baseline", "target"))
    elapsed = time.perf_counter() - started
    say(f"Total time {elapsed:.0f} s. Load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())}.")
    if not (ok_triage and ok_queue):
        say("TARGET MISSED: see the rows marked MISSED above.")
        return 1
    say("All targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
