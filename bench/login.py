"""Login page benchmark (issue 2): latency of GET /staff/login/ under the production server configuration.

    make bench-login            # or: .venv/bin/python bench/login.py

What runs: granian (WSGI, 2 workers, --blocking-threads 1, no access log: the flags of `manage.py serve`)
with HOTLINE_ENV=production (fresh random secrets, manifest static files, HSTS, secure cookies) on a fresh
SQLite database in a temporary directory. Requests carry `X-Forwarded-Proto: https` as a TLS-terminating
reverse proxy would, so the production HTTPS redirect does not kick in.

Baseline, in the same run and the same server: a bare view (`HttpResponse("ok")`) behind the very same
middleware stack, added by a settings module that only extends ROOT_URLCONF. The ratio login/bare is the
cost of the login page itself (template, form, CSRF token) over Django's fixed per-request cost.

Measured: (1) sequential latency over one keep-alive connection (p50/p90/p99), bare and login interleaved in
rounds so both see the same machine noise; (2) with wrk (if installed), throughput and p99 at 8 connections;
(3) a few password-step POSTs (argon2 hashing, axes bookkeeping) for scale. Runs in well under a minute.
Tunables: BENCH_REQUESTS (per URL, default 1500), BENCH_WRK_SECONDS (3).
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
GRANIAN = str(Path(PY).with_name("granian"))
N = int(os.environ.get("BENCH_REQUESTS", "1500"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "3"))
PROXY_HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}

BENCH_SETTINGS = """
from hotline.settings import *  # noqa: F403
ROOT_URLCONF = "bench_login_urls"
"""
BENCH_URLS = """
from django.http import HttpResponse
from django.urls import path

from hotline.urls import handler400, handler403, handler404, handler500  # noqa: F401
from hotline.urls import urlpatterns as hotline_urlpatterns


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare), *hotline_urlpatterns]
"""


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def production_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(
        {
            "HOTLINE_ENV": "production",
            "HOTLINE_SECRET_KEY": secrets.token_urlsafe(50),
            "HOTLINE_DATA_KEYS": f"bench:{base64.b64encode(os.urandom(32)).decode()}",
            "HOTLINE_INDEX_KEY": secrets.token_urlsafe(32),
            "HOTLINE_ALLOWED_HOSTS": "127.0.0.1",
            "HOTLINE_PUBLIC_URL": "https://127.0.0.1",
            "HOTLINE_VAR_DIR": str(tmp / "var"),
            "HOTLINE_STATIC_ROOT": str(tmp / "static"),
            "HOTLINE_LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "bench_login_settings",
            "PYTHONPATH": os.pathsep.join([str(tmp / "mods"), str(REPO / "src")]),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, str(REPO / "manage.py"), *args], env=env, check=True, stdout=subprocess.DEVNULL, timeout=300)


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/bare/", headers=PROXY_HEADERS)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("granian did not answer within 30 s")


def timed_gets(conn: http.client.HTTPConnection, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=PROXY_HEADERS)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wrk(port: int, path: str) -> tuple[float, float] | None:
    if not shutil.which("wrk"):
        return None
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{WRK_SECONDS}s", "--latency", "-H", "X-Forwarded-Proto: https",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, timeout=WRK_SECONDS + 30,
    ).stdout  # fmt: skip
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    if not rps or not p99:
        return None
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return float(rps.group(1)), float(p99.group(1)) * factor


def password_posts(port: int, n: int = 3) -> list[float]:
    """Full password-step POSTs with a wrong password for unknown emails: argon2 runs once each (Django hashes
    a dummy password so unknown accounts cost the same), axes records the failure."""
    times = []
    for i in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/staff/login/", headers=PROXY_HEADERS)
        page = conn.getresponse()
        body = page.read().decode()
        cookie = "; ".join(c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or [])
        # The language switch carries the public pages' cookieless token; the login form has the CSRF token.
        body = re.sub(r'<form class="language-switch".*?</form>', "", body, flags=re.S)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert token, "no CSRF token on the login page"
        form = f"csrfmiddlewaretoken={token.group(1)}&email=bench{i}%40bench.invalid&password=not-the-password-{i}"
        headers = {**PROXY_HEADERS, "Cookie": cookie, "Origin": "https://127.0.0.1",
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        t0 = time.perf_counter()
        conn.request("POST", "/staff/login/", body=form, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        if response.status != 400:
            raise SystemExit(f"password step answered {response.status}, expected 400")
        conn.close()
    return times


def server_log_lines(tmp: Path) -> list[str]:
    return (tmp / "server.log").read_text(errors="replace").splitlines()


def main() -> None:
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-login-"))
    (tmp / "mods").mkdir()
    (tmp / "mods" / "bench_login_settings.py").write_text(BENCH_SETTINGS)
    (tmp / "mods" / "bench_login_urls.py").write_text(BENCH_URLS)
    env = production_env(tmp)
    server = None
    try:
        say("Preparing: migrate + collectstatic (production settings, fresh SQLite) ...")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        say(f"  ready in {time.monotonic() - started:.0f} s")
        port = free_port()
        server_log = open(tmp / "server.log", "wb")  # noqa: SIM115 (closed with the process)
        server = subprocess.Popen(
            [GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
             "--blocking-threads", "1", "--working-dir", str(REPO / "src"), "--no-access-log",
             "--log-level", "warning", "hotline.wsgi:application"],
            env=env, start_new_session=True, stdout=server_log, stderr=server_log,
        )  # fmt: skip
        try:
            wait_ready(port)
        except SystemExit:
            say((tmp / "server.log").read_text(errors="replace")[-3000:])
            raise
        say(f"granian up on 127.0.0.1:{port} (2 workers, 1 blocking thread each), HOTLINE_ENV=production")

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        timed_gets(conn, "/bench/bare/", 200)  # warm-up: imports, template loading, connections
        timed_gets(conn, "/staff/login/", 200)
        bare: list[float] = []
        login: list[float] = []
        rounds = 10
        for _ in range(rounds):
            bare += timed_gets(conn, "/bench/bare/", N // rounds)
            login += timed_gets(conn, "/staff/login/", N // rounds)
        conn.close()

        say(f"\nSequential GET latency, one keep-alive connection, {len(bare)} requests each (ms):")
        say(f"  {'':<16}{'p50':>8}{'p90':>8}{'p99':>8}{'mean':>8}")
        for name, values in (("bare view", bare), ("/staff/login/", login)):
            say(f"  {name:<16}{pct(values, .5):>8.2f}{pct(values, .9):>8.2f}{pct(values, .99):>8.2f}"
                f"{statistics.fmean(values):>8.2f}")  # fmt: skip
        p50_ratio, p99_ratio = pct(login, 0.5) / pct(bare, 0.5), pct(login, 0.99) / pct(bare, 0.99)
        say(f"  ratio login/bare: p50 {p50_ratio:.2f}x, p99 {p99_ratio:.2f}x")

        loaded = [
            (name, wrk(port, path))
            for name, path in (("bare view", "/bench/bare/"), ("/staff/login/", "/staff/login/"))
        ]
        if all(result for _, result in loaded):
            say(f"\nUnder load (wrk, 2 threads, 8 connections, {WRK_SECONDS} s each):")
            for name, result in loaded:
                assert result
                say(f"  {name:<16}{result[0]:>9.0f} req/s   p99 {result[1]:.2f} ms")
            (_, b), (_, lg) = loaded
            assert b and lg
            say(f"  ratio bare/login throughput: {b[0] / lg[0]:.2f}x, p99 login/bare: {lg[1] / b[1]:.2f}x")
        else:
            say("\n(wrk not installed: no load figures)")

        posts = password_posts(port)
        say(f"\nPassword step POST (argon2 + axes), {len(posts)} requests: p50 {pct(posts, .5):.0f} ms, "
            f"max {max(posts):.0f} ms")  # fmt: skip
        say(f"\nTotal bench time {time.monotonic() - started:.0f} s (server log: {len(server_log_lines(tmp))} lines, "
            "axes failure warnings expected)")  # fmt: skip
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
