"""Tracing benchmark (issue 5): latency of a hosting trace on a cache miss versus a cache hit.

    make bench-tracing            # or: .venv/bin/python bench/tracing.py

Everything runs on this machine: a real DNS server (dnslib, tests/fakes/dns_server.py) and a real RDAP
server (http.server, tests/fakes/rdap_server.py) on 127.0.0.1, a small MaxMind-format file written with
mmdb-writer, and a fresh SQLite database in a temporary directory. No query leaves the machine.

Paths measured, each BENCH_TRACES times (default 200) with a new host name per trace:
  miss           request_trace (a trace row + task, one transaction) and the task body run_trace:
                 DNS A + AAAA, mmdb, RDAP over HTTP, observations + audit written
  miss, RDAP in cache
                 the same, the RDAP answer for the address already in the cache (DNS still asked)
  hit            request_trace for a host traced within HOTLINE_TRACE_TTL_HOURS: nothing queued
  hit + summary  the hit plus hosting_summary(), what a referral reads
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]
N = int(os.environ.get("BENCH_TRACES", "200"))

workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-tracing-"))
os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
os.environ["HOTLINE_DEBUG"] = "0"
os.environ.setdefault("HOTLINE_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from hotline.tracing import rdap, services  # noqa: E402
from hotline.tracing.models import HostTrace, TraceStatus  # noqa: E402
from hotline.tracing.selectors import hosting_summary  # noqa: E402
from hotline.tracing.tests import zone  # noqa: E402
from tests.fakes.dns_server import FakeDnsServer  # noqa: E402
from tests.fakes.rdap_server import FakeRdapServer  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(n: int, before: Callable[[int], None], run: Callable[[int], None]) -> list[float]:
    out = []
    for i in range(n):
        before(i)
        started = time.perf_counter()
        run(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def request(host: str) -> None:
    with transaction.atomic():
        services.request_trace(host=host, reason="bench")


def miss(prefix: str) -> Callable[[int], None]:
    def run(i: int) -> None:
        host = f"{prefix}{i}.bench.example.test"
        request(host)
        done = services.run_trace(host=host)
        assert done is not None and done.status == TraceStatus.OK, done and done.failure_reason

    return run


def main() -> int:
    call_command("migrate", verbosity=0)
    dns = FakeDnsServer(zone.ZONE).start()
    rdap_server = FakeRdapServer().start()
    settings.HOTLINE_DNS_SERVERS = dns.address
    settings.HOTLINE_RDAP_BOOTSTRAP = rdap_server.bootstrap_url
    settings.HOTLINE_GEOIP_MMDB = str(zone.write_mmdb(workdir / "bench.mmdb"))
    settings.HOTLINE_CDN_DATA = str(zone.write_cdn_list(workdir / "cdn.json"))
    rdap.clear_bootstrap_cache()
    try:
        request("warmup.bench.example.test")
        services.run_trace(host="warmup.bench.example.test")  # loads bootstrap, mmdb reader, CDN list

        rows: list[tuple[str, list[float], int, int]] = []
        q0, r0 = len(dns.queries), len(rdap_server.lookups())
        rows.append(("miss (DNS + RDAP)", timed(N, lambda i: cache.clear(), miss("m")), 0, 0))
        q1, r1 = len(dns.queries), len(rdap_server.lookups())
        rows[-1] = (rows[-1][0], rows[-1][1], q1 - q0, r1 - r0)
        rows.append(("miss, RDAP answer cached", timed(N, lambda i: None, miss("c")), 0, 0))
        q2, r2 = len(dns.queries), len(rdap_server.lookups())
        rows[-1] = (rows[-1][0], rows[-1][1], q2 - q1, r2 - r1)
        hosts = [f"m{i}.bench.example.test" for i in range(N)]
        tasks_before = HostTrace.objects.count()
        rows.append(("hit (fresh trace in cache)", timed(N, lambda i: None, lambda i: request(hosts[i])), 0, 0))
        rows.append(
            (
                "hit + hosting_summary()",
                timed(N, lambda i: None, lambda i: (request(hosts[i]), hosting_summary(host=hosts[i]))),
                0,
                0,
            )
        )
        q3, r3 = len(dns.queries), len(rdap_server.lookups())
        assert HostTrace.objects.count() == tasks_before, "a cache hit queued a trace"
        assert (q3, r3) == (q2, r2), "a cache hit asked DNS or RDAP"
    finally:
        dns.stop()
        rdap_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    hit_median = statistics.median(rows[2][1])
    print(f"\nTrace latency, {N} traces per row (SQLite, DNS and RDAP fakes on loopback, one process)\n")
    print(f"{'path':30} {'median ms':>10} {'p95 ms':>8} {'mean ms':>8} {'x hit':>8} {'DNS q':>6} {'RDAP q':>6}")
    for name, values, queries, lookups in rows:
        median = statistics.median(values)
        print(
            f"{name:30} {median:10.2f} {percentile(values, 0.95):8.2f} {statistics.fmean(values):8.2f}"
            f" {median / hit_median:8.1f} {queries:6d} {lookups:6d}"
        )
    print(f"\nmiss / hit (median): {statistics.median(rows[0][1]) / hit_median:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
