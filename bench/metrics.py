"""Metrics benchmark (`make bench-metrics`): what counting requests for /metrics costs on the public form POST.

Two production servers (granian, 2 workers x 1 thread, bench/intake.py's set-up) on one database, identical but
for HOTLINE_METRICS_TOKEN: unset on one (nothing counted), set on the other (every request counted, counts
stored every 10 s). Interleaved rounds of the real form POST /report/ against each; the result is the median of
the rounds' ratios (counted / not counted), so a burst of someone else's load moves one round, not the result.
Then, in this process, the CPU time of the counting middleware itself per request (on and off) and of one
store of the counts, which noise moves far less than whole requests.

    .venv/bin/python bench/metrics.py [--rounds 10] [--seconds 1.5] [--connections 8]
    DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres .venv/bin/python bench/metrics.py
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import intake as rig  # noqa: E402  (bench/intake.py: database, production settings, server, load client)


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process of a process group (the server and its workers), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ... utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def middleware_cost(iterations: int = 200_000) -> dict[str, float]:
    """CPU microseconds per request of RequestMetricsMiddleware (on, off) and per store of a process's counts."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from hotline.core import conf, metrics

    request = RequestFactory().post("/report/")
    request.resolver_match = resolve("/report/")
    response = HttpResponse(status=200)
    middleware = metrics.RequestMetricsMiddleware(lambda r: response)
    figures: dict[str, float] = {}
    for label, token in (("off", None), ("on", "bench-" + secrets.token_urlsafe(32))):
        settings.HOTLINE_METRICS_TOKEN = token
        conf.clear_cache()
        samples = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(iterations):
                middleware(request)
            samples.append((time.process_time() - started) / iterations * 1e6)
        figures[label] = min(samples)
    # A store: the counts of 10 s of a busy worker over a few dozen URL names (one upsert per row).
    views = [f"bench:view{i}" for i in range(40)]
    stores = []
    for _ in range(5):
        for view in views:
            metrics.tally.request(view, 200, 0.003)
        started = time.perf_counter()
        metrics.flush(force=True)
        stores.append((time.perf_counter() - started) * 1000)
    figures["store_ms"] = statistics.median(stores)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-metrics-"))
    database_url, drop_database = rig.prepare_database(os.environ.get("DATABASE_URL"), tmp)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite (WAL)"
    env = rig.production_env(database_url, tmp)
    token = secrets.token_urlsafe(32)
    servers: list[Any] = []
    try:
        manage = [rig.PY, str(rig.ROOT / "manage.py")]
        rig.run([*manage, "migrate", "--noinput", "-v", "0"], env)
        rig.run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
        ports = {"off": rig.free_port(), "on": rig.free_port()}
        servers.append(rig.start_server(env, ports["off"], tmp / "off.log"))
        servers.append(rig.start_server({**env, "HOTLINE_METRICS_TOKEN": token}, ports["on"], tmp / "on.log"))
        body, headers = rig.form_request(f"http://127.0.0.1:{ports['off']}")

        runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
        cpu = {"off": 0.0, "on": 0.0}
        group = {"off": servers[0].pid, "on": servers[1].pid}
        for _ in range(2):  # warm both: first requests load templates and open connections
            for label, port in ports.items():
                rig.load(port, "/report/", body, headers, 0.5, args.connections)
        for round_number in range(args.rounds):
            order = ("off", "on") if round_number % 2 == 0 else ("on", "off")
            for label in order:
                before = group_cpu_seconds(group[label])
                runs[label].append(rig.load(ports[label], "/report/", body, headers, args.seconds, args.connections))
                cpu[label] += group_cpu_seconds(group[label]) - before
        rates = {label: [rig.summarise([part])["rps"] for part in parts] for label, parts in runs.items()}
        ratios = [on / off for on, off in zip(rates["on"], rates["off"], strict=True) if off]
        totals = {label: rig.summarise(parts) for label, parts in runs.items()}
        request = urllib.request.Request(
            f"http://127.0.0.1:{ports['on']}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            scraped = response.read().decode()
        pattern = r'^hotline_http_requests_total\{status="\d+",view="intake:report"\} (\S+)$'
        counted = sum(float(m.group(1)) for m in re.finditer(pattern, scraped, re.M))
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    sys.path[:0] = [str(rig.SRC)]
    import django

    django.setup()
    cost = middleware_cost()
    drop_database()
    shutil.rmtree(tmp, ignore_errors=True)

    load1 = os.getloadavg()[0]
    print(f"\nHotline metrics benchmark — {engine}, form POST /report/, granian 2 workers x 1 thread, load {load1:.2f}")
    for label in ("off", "on"):
        t = totals[label]
        print(
            f"  metrics {label:>3}: {t['rps']:8.1f}/s  p50 {t['p50']:.1f} ms  p99 {t['p99']:.1f} ms  "
            f"non-2xx {t['non2xx']}"
        )
    median = statistics.median(ratios)
    print(f"  counted / not counted, median of {len(ratios)} rounds: {median:.3f} ({(1 - median) * 100:.1f} % cost)")
    print("  every round: " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"  requests of the counted server's rounds seen by /metrics (any status): {counted:.0f} of >= "
          f"{sum(len(p['results']) for p in runs['on'])} sent in the measured rounds (plus warm-up)")  # fmt: skip
    per_request = {
        label: cpu[label] / max(len([r for p in runs[label] for r in p["results"]]), 1) * 1e6 for label in cpu
    }
    print(
        f"  server CPU per request: {per_request['on']:.0f} µs counted, {per_request['off']:.0f} µs not "
        f"({(per_request['on'] / per_request['off'] - 1) * 100:+.1f} %)"
    )
    share = (cost["on"] - cost["off"]) / per_request["off"] * 100
    print(
        f"  middleware CPU per request: {cost['on']:.2f} µs counting, {cost['off']:.2f} µs off; "
        f"one store of 40 views' counts: {cost['store_ms']:.2f} ms (every 10 s per process)"
    )
    print(
        f"  counting's own share of a form POST's CPU: {share:.3f} % (stores: {cost['store_ms'] / 100:.3f} % of a core)"
    )


if __name__ == "__main__":
    main()
