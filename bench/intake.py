"""Intake benchmark (`make bench-intake`): the production server config on this machine, one run.

Measures in the same run, against the database DATABASE_URL points at (default: a fresh SQLite file):
  (a) the ceiling: a bare POST view that reads its (3-byte) body and inserts one row in one transaction
      (same middleware, same server),
  (b) the real public form POST (form guard, validation, rate limit, report + URL + task, 303 to the one-time
      thank-you page)
      and the real API POST (bearer key, JSON, same write),
  (c) the batch API (1000 reports per request) against a bare bulk_create of the same rows,
and checks that the number of rows written equals the number of successful answers (2xx, or the form's 303).

    .venv/bin/python bench/intake.py [--rounds 8] [--seconds 1.5] [--connections 8] [--batches 8]
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres .venv/bin/python bench/intake.py

For PostgreSQL a fresh database (<name>_bench_<pid>) is created on that server and dropped afterwards.
Load comes from a small asyncio HTTP/1.1 client in this process, on 127.0.0.1 only: unlike wrk it reads
every answer it started (so rows and 2xx can be compared exactly). Phases are interleaved in rounds and
bounded in time; the whole run takes about two minutes. The single-report targets are judged on the
median of the rounds' ratios (each round's rate against the ceiling of the same round): on a shared
machine a burst of someone else's load then moves one round instead of the result. The ratio over
all rounds and every round's ratio are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
BENCH = Path(__file__).resolve().parent
PY = sys.executable

# --- the server side: this file is also the WSGI module granian loads (with the ceiling view) ---------
if os.environ.get("HOTLINE_BENCH_WSGI") == "1" and __name__ != "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from django.conf import settings as _settings
    from django.core.wsgi import get_wsgi_application
    from django.db import transaction as _transaction
    from django.http import HttpRequest, HttpResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    from hotline.cases.models import Report as _Report

    @csrf_exempt
    def ceiling(request: HttpRequest) -> HttpResponse:
        """The ceiling: read a POST, insert one row in one transaction, answer."""
        if request.method != "POST":
            return HttpResponse(status=405)
        kind = request.POST.get("kind", "other")  # read the body, as any view that takes a POST must
        with _transaction.atomic():
            _Report.objects.create(channel="web", kind=kind, source_name="bench-ceiling")
        return HttpResponse(b"ok", status=201, content_type="text/plain")

    urlpatterns = [path("bench/ceiling", ceiling), path("", include("hotline.urls"))]
    _settings.ROOT_URLCONF = __name__
    application = get_wsgi_application()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], env: dict[str, str], timeout: int = 300) -> str:
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_database(url: str | None, tmp: Path) -> tuple[str, Any]:
    """Return (DATABASE_URL for the run, cleanup function)."""
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    import psycopg

    parsed = urllib.parse.urlsplit(url)
    name = f"{(parsed.path.lstrip('/') or 'hotline')}_bench_{os.getpid()}"
    admin = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urllib.parse.urlunsplit(parsed._replace(path=f"/{name}")), drop


def production_env(database_url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        DATABASE_URL=database_url,
        HOTLINE_ENV="production",
        HOTLINE_SECRET_KEY=secrets.token_urlsafe(64),
        HOTLINE_DATA_KEYS=f"bench1:{base64.b64encode(os.urandom(32)).decode()}",
        HOTLINE_INDEX_KEY=secrets.token_urlsafe(32),
        HOTLINE_ALLOWED_HOSTS="127.0.0.1,localhost",
        HOTLINE_PUBLIC_URL="https://hotline.example.org",  # production refuses to start without an https one
        HOTLINE_SSL_REDIRECT="0",
        HOTLINE_VAR_DIR=str(tmp),
        HOTLINE_STATIC_ROOT=str(tmp / "static"),
        # One client address sends everything here: lift the per-client limits for the run.
        HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR="1000000000",
        HOTLINE_API_REQUESTS_PER_MINUTE="1000000000",
        HOTLINE_LOG_LEVEL="WARNING",
        PYTHONPATH=f"{SRC}{os.pathsep}{BENCH}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    granian = Path(PY).with_name("granian")
    server_env = {**env, "HOTLINE_BENCH_WSGI": "1"}
    command = [
        str(granian),
        "--interface", "wsgi",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", os.environ.get("BENCH_WORKERS", "2"),
        "--blocking-threads", "1",  # as `manage.py serve`
        "--working-dir", str(BENCH),
        "--no-access-log",
        "--log-level", "warning",
        "intake:application",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=server_env, cwd=BENCH, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    sys.exit(f"the server did not start:\n{log.read_text(errors='replace')}")


def _request_bytes(port: int, path: str, body: str, headers: dict[str, str]) -> bytes:
    data = body.encode()
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(data)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def form_request(base: str) -> tuple[str, dict[str, str]]:
    """The public form POST a browser sends: its body and headers, with the CSRF cookie and token of a fresh GET
    of the form page."""
    with urllib.request.urlopen(f"{base}/report/", timeout=10) as response:
        page = response.read().decode()
        cookie = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "kind": "online_material",
            "url_fields": "3",
            "url_1": "https://bench-host.example/gallery/123?page=2",
            "description": "A gallery page seen in a chat group.",
            "nexus_victim": "unknown",
            "nexus_offender": "unknown",
            "nexus_place": "unknown",
            "channel": "web",
            "action": "send",
        }
    )
    return body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}


async def read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer off a kept-alive connection (Content-Length or chunked); returns its status."""
    status = int((await asyncio.wait_for(reader.readline(), 60)).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while (size := int((await reader.readline()).strip() or b"0", 16)) > 0:
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    return status


async def _connection(port: int, request: bytes, deadline: float, results: list[tuple[int, float]]) -> None:
    """Keep-alive loop; a request started before the deadline is always read to its end (exact counts)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await read_answer(reader)
            results.append((status, time.perf_counter() - started))
    finally:
        writer.close()


def load(port: int, path: str, body: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, Any]:
    """POST the same request over `connections` keep-alive connections for `seconds`; every answer counted."""
    request = _request_bytes(port, path, body, headers)
    results: list[tuple[int, float]] = []

    async def go() -> float:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_connection(port, request, deadline, results) for _ in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(go())
    return {"results": results, "elapsed": elapsed}


def summarise(parts: list[dict[str, Any]]) -> dict[str, Any]:
    results = [r for p in parts for r in p["results"]]
    elapsed = sum(p["elapsed"] for p in parts)
    ok = sum(1 for status, _ in results if 200 <= status < 300 or status == 303)  # 303: the form's success
    latencies = sorted(t * 1000 for _, t in results) or [float("nan")]
    return {
        "rps": ok / elapsed if elapsed else 0.0,
        "ok": ok,
        "non2xx": len(results) - ok,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds of every phase (default 8)")
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds per phase and round (default 1.5)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batches", type=int, default=8, help="batch requests of 1000 reports (default 8)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-intake-"))
    database_url, drop_database = prepare_database(os.environ.get("DATABASE_URL"), tmp)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite (WAL)"
    env = production_env(database_url, tmp)
    proc = None
    try:
        manage = [PY, str(ROOT / "manage.py")]
        run([*manage, "migrate", "--noinput", "-v", "0"], env)
        run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
        key = run([*manage, "create_partner_key", "Bench partner"], env).strip().splitlines()[-1]

        # The bench process itself talks to the same database (row counts, bare bulk_create).
        os.environ.clear()
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
        sys.path[:0] = [str(SRC)]
        import django

        django.setup()
        from django.db import connection, transaction

        from hotline.cases.blind_indexes import url_index
        from hotline.cases.models import Report, ReportedUrl

        def count(**filters: Any) -> int:
            n = Report.objects.filter(**filters).count()
            connection.close()
            return n

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(env, port, tmp / "server.log")

        form_body, form_headers = form_request(base)  # CSRF cookie + token, as a browser gets them
        api_body = json.dumps({"kind": "online_material", "urls": ["https://bench-host.example/gallery/123?page=2"]})
        api_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

        # Interleaved rounds (ceiling, form, API, ceiling, ...): a busy shared machine slows every
        # phase alike instead of whichever phase happened to run during someone else's build.
        phases = {
            "ceiling (bare POST+insert)": (
                "/bench/ceiling",
                "x=1",
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
            "form POST /report/": ("/report/", form_body, form_headers),
            "API POST /api/v1/reports": ("/api/v1/reports", api_body, api_headers),
        }
        parts: dict[str, list[dict[str, Any]]] = {name: [] for name in phases}
        before = count(source_name="bench-ceiling")
        for _ in range(args.rounds):
            for name, (path, body, headers) in phases.items():
                parts[name].append(load(port, path, body, headers, args.seconds, args.connections))
        results = {name: summarise(p) for name, p in parts.items()}
        # Each round's ratio to the ceiling of the same round, and their median: a burst of load from
        # another process on this shared machine then moves one round, not the result.
        ceiling_parts = parts["ceiling (bare POST+insert)"]
        for name, phase_parts in parts.items():
            ratios = [
                summarise([mine])["rps"] / summarise([ceiling])["rps"]
                for mine, ceiling in zip(phase_parts, ceiling_parts, strict=True)
                if summarise([ceiling])["rps"]
            ]
            results[name]["round_ratios"] = ratios
            results[name]["median_ratio"] = statistics.median(ratios) if ratios else 0.0
        rows = {
            "ceiling": count(source_name="bench-ceiling") - before,
            "form": count(channel="web", source_name=""),
            "api": count(channel="api"),
        }

        # Batch API: sequential requests of 1000 reports each.
        batch = json.dumps(
            {
                "reports": [
                    {"kind": "online_material", "urls": [f"https://bench-batch.example/item/{i}"]} for i in range(1000)
                ]
            }
        ).encode()
        api_before = rows["api"]
        batch_ok = bulk_rows = 0
        batch_seconds = bulk_seconds = 0.0
        for _ in range(args.batches):
            started = time.perf_counter()
            request = urllib.request.Request(
                f"{base}/api/v1/reports/batch", data=batch, headers=api_headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                batch_ok += 1000 if response.status == 201 else 0
            batch_seconds += time.perf_counter() - started
            # The bare bulk_create of the same rows (report + URL per item), one transaction per 1000.
            started = time.perf_counter()
            with transaction.atomic():
                reports = Report.objects.bulk_create(
                    [Report(channel="api", kind="online_material", source_name="bench-bulk") for _ in range(1000)],
                    batch_size=500,
                )
                ReportedUrl.objects.bulk_create(
                    [
                        ReportedUrl(
                            report=r,
                            position=0,
                            url=(u := f"https://bench-batch.example/item/{i}"),
                            url_index=url_index(u),
                        )
                        for i, r in enumerate(reports)
                    ],
                    batch_size=1000,
                )
            bulk_seconds += time.perf_counter() - started
            bulk_rows += 1000
        batch_rows = count(channel="api", source_name="Bench partner") - api_before
        connection.close()
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        drop_database()

    ceiling_rps = results["ceiling (bare POST+insert)"]["rps"]
    print(f"\nHotline intake benchmark — {engine}, granian WSGI 2 workers x 1 thread, production settings, "
          f"{args.connections} keep-alive connections, {args.rounds} x {args.seconds:g}s per phase interleaved, "
          f"client on the same machine (2 cores); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'phase':<28}{'2xx/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'2xx':>9}{'non-2xx':>9}{'all rounds':>12}"
          f"{'median round':>14}")  # fmt: skip
    for name, r in results.items():
        ratio = r["rps"] / ceiling_rps if ceiling_rps else 0
        print(f"{name:<28}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['ok']:>9}{r['non2xx']:>9}{ratio:>11.0%}"
              f"{r['median_ratio']:>13.0%}")  # fmt: skip
    for name, r in list(results.items())[1:]:
        print(f"  {name}: ratio per round " + " ".join(f"{x:.0%}" for x in r["round_ratios"]))
    batch_rate = batch_ok / batch_seconds
    bulk_rate = bulk_rows / bulk_seconds
    print(
        f"{'batch API (1000/request)':<28}{batch_rate:>10.0f} reports/s ({args.batches} requests, {batch_seconds:.1f}s)"
    )
    print(
        f"{'bare bulk_create, same rows':<28}{bulk_rate:>10.0f} reports/s -> batch API at {batch_rate / bulk_rate:.0%}"
    )

    checks = {
        "ceiling rows == 2xx": rows["ceiling"] == results["ceiling (bare POST+insert)"]["ok"],
        "form rows == 303s": rows["form"] == results["form POST /report/"]["ok"],
        "API rows == 2xx": rows["api"] == results["API POST /api/v1/reports"]["ok"],
        "batch rows == 2xx x 1000": batch_rows == batch_ok,
    }
    targets = {  # judged on the median of the rounds' ratios (printed above with every round's ratio)
        "form >= 70% of ceiling": results["form POST /report/"]["median_ratio"] >= 0.7,
        "API >= 70% of ceiling": results["API POST /api/v1/reports"]["median_ratio"] >= 0.7,
        "batch >= 50% of bulk_create": batch_rate >= 0.5 * bulk_rate,
    }
    print("rows:", rows, "batch rows:", batch_rows)
    for name, ok in {**checks, **targets}.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    shutil.rmtree(tmp, ignore_errors=True)
    if not all(checks.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
