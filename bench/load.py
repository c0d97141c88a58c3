"""Mixed-traffic load benchmark (`make bench-load`): the production server configuration under the traffic of a
working day, per endpoint, against the single-endpoint ceiling measured in the same run.

    .venv/bin/python bench/load.py [--seconds 20] [--connections 8] [--cases 300]
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres .venv/bin/python bench/load.py

Starts granian as `manage.py serve` does (2 workers x 1 thread, production settings, the ceiling view of
bench/intake.py mounted beside the real URLs) and the task worker, on a fresh SQLite file (or a fresh
PostgreSQL database <name>_bench_<pid>, dropped afterwards). Seeds cases through the partner API and the
worker's triage, then, over `--connections` keep-alive connections, each request drawn from a weighted mix:

  public reports (form POST /report/), status checks (POST /report/status/ with a receipt), partner batches
  (POST /api/v1/reports/batch, 10 reports) and status reads (GET /api/v1/reports/{id}), analysts browsing
  the queue (/cases/) and case pages (/cases/<id>/), a supervisor's dashboard (/cases/supervision/).

Before and after the mix the ceiling (a bare POST that inserts one row, same server and middleware) runs
alone for the same time; the mix's throughput and each endpoint's p50 are printed as ratios of it. Every
answer is read (a small asyncio HTTP/1.1 client); anything but the expected status counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from intake import (  # noqa: E402
    PY,
    ROOT,
    SRC,
    free_port,
    prepare_database,
    production_env,
    read_answer,
    run,
    start_server,
)

# name: (weight, expected status)
MIX = {
    "form POST /report/": (20, 303),  # the redirect to the one-time thank-you page
    "status POST /report/status/": (10, 200),
    "API batch POST /api/v1/reports/batch": (5, 201),
    "API GET /api/v1/reports/{id}": (15, 200),
    "analyst GET /cases/": (20, 200),
    "analyst GET /cases/<id>/": (25, 200),
    "supervisor GET /cases/supervision/": (5, 200),
}


def request_bytes(port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> bytes:
    data = body.encode()
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if method == "POST":
        head.append(f"Content-Length: {len(data)}")
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def drive(port: int, pick: Any, seconds: float, connections: int) -> tuple[dict[str, list[tuple[int, float]]], float]:
    """Keep-alive connections, each sending requests drawn by `pick()` -> (name, bytes) until the deadline."""
    results: dict[str, list[tuple[int, float]]] = defaultdict(list)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                name, raw = pick()
                started = time.perf_counter()
                writer.write(raw)
                await writer.drain()
                status = await read_answer(reader)
                results[name].append((status, time.perf_counter() - started))
        finally:
            writer.close()

    async def go() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(connections)))
        return time.perf_counter() - started

    deadline = time.perf_counter() + seconds
    return results, asyncio.run(go())


def percentile(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [PY, str(ROOT / "manage.py"), "db_worker", "--interval", "0.5", "-v", "0", "--queue-name", "*",
             "--exclude-queues", "trace"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of mixed traffic (default 20)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--cases", type=int, default=300, help="cases seeded before the run (default 300)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-load-"))
    database_url, drop_database = prepare_database(os.environ.get("DATABASE_URL"), tmp)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite (WAL)"
    env = production_env(database_url, tmp)
    server = worker = None
    try:
        manage = [PY, str(ROOT / "manage.py")]
        run([*manage, "migrate", "--noinput", "-v", "0"], env)
        run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
        key = run([*manage, "create_partner_key", "Load partner"], env).strip().splitlines()[-1]
        os.environ.clear()
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
        sys.path[:0] = [str(SRC)]
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth.models import Group
        from django.db import connection
        from django.test import Client
        from django_otp import DEVICE_ID_SESSION_KEY

        from hotline.cases.models import Case, Report
        from hotline.staff.models import StaffUser, TOTPDevice

        def session_of(role: str) -> str:
            user = StaffUser.objects.create_user(email=f"{role}@load.example", password="x" * 20)
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
            client = Client()
            client.force_login(user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
            return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

        analyst_cookie, supervisor_cookie = session_of("analyst"), session_of("supervisor")
        connection.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(env, port, tmp / "server.log")
        worker = start_worker(env, tmp / "worker.log")
        api_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

        def post_json(path: str, payload: Any) -> Any:
            request = urllib.request.Request(base + path, json.dumps(payload).encode(), api_headers, method="POST")
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read())

        # Seed: cases through the API and the worker's triage, reports to ask the status of.
        seeded = []
        for start in range(0, args.cases, 100):
            batch = [{"kind": "online_material", "urls": [f"https://seed{start + i}.load.example.test/p/{start + i}"]}
                     for i in range(min(100, args.cases - start))]  # fmt: skip
            seeded += [r["id"] for r in post_json("/api/v1/reports/batch", {"reports": batch})["reports"]]
        deadline = time.monotonic() + 300
        while Report.objects.filter(triaged_at=None).exists():
            assert time.monotonic() < deadline, "triage did not finish"
            time.sleep(0.5)
        case_ids = list(Case.objects.values_list("pk", flat=True))
        connection.close()

        with urllib.request.urlopen(f"{base}/report/", timeout=10) as response:
            page = response.read().decode()
            cookie = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or [])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

        def form_body(n: int) -> str:
            return urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token, "kind": "online_material", "url_fields": "3",
                 "url_1": f"https://load{n}.load.example.test/gallery/{n}", "description": "A gallery page.",
                 "nexus_victim": "unknown", "nexus_offender": "unknown", "nexus_place": "unknown", "channel": "web",
                 "action": "send"}
            )  # fmt: skip

        receipts = []
        for n in range(20):
            request = urllib.request.Request(f"{base}/report/", form_body(n).encode(), form_headers, method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                receipts.append(re.search(r'<p class="receipt"[^>]*>([\d ]+)</p>', response.read().decode()).group(1))  # type: ignore[union-attr]

        rng = random.Random(18)
        counter = iter(range(1000, 10**9))

        def build(name: str) -> bytes:
            if name.startswith("form"):
                return request_bytes(port, "POST", "/report/", form_body(next(counter)), form_headers)
            if name.startswith("status"):
                body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "receipt": rng.choice(receipts)})
                return request_bytes(port, "POST", "/report/status/", body, form_headers)
            if name.startswith("API batch"):
                n = next(counter)
                reports = [
                    {"kind": "online_material", "urls": [f"https://b{n}-{i}.load.example.test/x"]} for i in range(10)
                ]
                return request_bytes(
                    port, "POST", "/api/v1/reports/batch", json.dumps({"reports": reports}), api_headers
                )
            if name.startswith("API GET"):
                return request_bytes(port, "GET", f"/api/v1/reports/{rng.choice(seeded)}", headers=api_headers)
            if name == "analyst GET /cases/":
                return request_bytes(port, "GET", "/cases/", headers={"Cookie": analyst_cookie})
            if name.startswith("analyst GET /cases/<id>"):
                return request_bytes(port, "GET", f"/cases/{rng.choice(case_ids)}/", headers={"Cookie": analyst_cookie})
            return request_bytes(port, "GET", "/cases/supervision/", headers={"Cookie": supervisor_cookie})

        names = list(MIX)
        weights = [MIX[n][0] for n in names]

        def pick_mix() -> tuple[str, bytes]:
            name = rng.choices(names, weights)[0]
            return name, build(name)

        ceiling_request = request_bytes(
            port, "POST", "/bench/ceiling", "x=1", {"Content-Type": "application/x-www-form-urlencoded"}
        )

        def pick_ceiling() -> tuple[str, bytes]:
            return "ceiling", ceiling_request

        ceiling_seconds = max(3.0, args.seconds / 4)
        ceilings = []
        ceiling_latencies: list[float] = []
        first, elapsed = drive(port, pick_ceiling, ceiling_seconds, args.connections)
        ceilings.append(sum(1 for s, _ in first["ceiling"] if s == 201) / elapsed)
        ceiling_latencies += [t for _, t in first["ceiling"]]
        mix, mix_elapsed = drive(port, pick_mix, args.seconds, args.connections)
        last, elapsed = drive(port, pick_ceiling, ceiling_seconds, args.connections)
        ceilings.append(sum(1 for s, _ in last["ceiling"] if s == 201) / elapsed)
        ceiling_latencies += [t for _, t in last["ceiling"]]
    finally:
        stop(server)
        stop(worker)
        drop_database()

    ceiling_rps = statistics.mean(ceilings)
    ceiling_p50 = statistics.median(ceiling_latencies) * 1000
    total = sum(len(v) for v in mix.values())
    errors = {n: sum(1 for s, _ in mix[n] if s != MIX[n][1]) for n in MIX}
    print(f"\nHotline mixed load — {engine}, granian WSGI 2 workers x 1 thread + task worker, production settings, "
          f"{args.connections} keep-alive connections, {args.seconds:g}s mix between two {ceiling_seconds:g}s ceiling "
          f"runs, client on the same machine (2 cores); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'endpoint':<40}{'requests':>9}{'/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'p50/ceiling':>13}")
    for name in MIX:
        latencies = [t * 1000 for _, t in mix[name]]
        p50 = statistics.median(latencies) if latencies else float("nan")
        print(f"{name:<40}{len(latencies):>9}{len(latencies) / mix_elapsed:>8.0f}{p50:>9.1f}"
              f"{percentile(latencies, 0.99):>9.1f}{errors[name]:>8}{p50 / ceiling_p50:>12.1f}x")  # fmt: skip
    ok = total - sum(errors.values())
    print(f"{'mix, all endpoints':<40}{total:>9}{total / mix_elapsed:>8.0f}{'':>26}{sum(errors.values()):>8}")
    print(f"{'ceiling (bare POST+insert), alone':<40}{'':>9}{ceiling_rps:>8.0f}{ceiling_p50:>9.1f}"
          f"{percentile([t * 1000 for t in ceiling_latencies], 0.99):>9.1f}   (before {ceilings[0]:.0f}/s, "
          f"after {ceilings[1]:.0f}/s)")  # fmt: skip
    print(
        f"mix throughput {ok / mix_elapsed:.0f} answered requests/s = "
        f"{ok / mix_elapsed / ceiling_rps:.0%} of the ceiling"
    )
    shutil.rmtree(tmp, ignore_errors=True)
    if any(errors.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
