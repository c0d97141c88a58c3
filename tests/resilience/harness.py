"""What the fault tests run: the production server configuration as real processes (granian as `manage.py serve`
starts it, the two task workers), the fakes of the outside world (SMTP, DNS, RDAP), a scratch PostgreSQL
cluster, and the clients that keep a steady load on it (public form, partner API batches, an analyst)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import requests

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PY = sys.executable
GRANIAN = str(Path(PY).with_name("granian"))
PROBE = str(Path(__file__).with_name("probe.py"))


# --- the outside world --------------------------------------------------------------------------------
class MailSink:
    """aiosmtpd handler: every message accepted, kept by its referral reference and Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []  # (X-Hotline-Reference, Message-ID)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.messages.append((str(message["X-Hotline-Reference"] or ""), str(message["Message-ID"] or "")))
        return "250 OK"


@dataclass
class World:
    """SMTP, DNS and RDAP fakes on loopback in the test process, and the files tracing reads."""

    tmp: Path
    mail: MailSink = field(default_factory=MailSink)
    _stops: list[Any] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> World:
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command otherwise

        from hotline.tracing.tests import zone
        from tests.fakes.dns_server import FakeDnsServer
        from tests.fakes.rdap_server import FakeRdapServer

        smtp_port = free_port()
        smtp = Controller(self.mail, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        self._stops.append(smtp.stop)
        dns = FakeDnsServer(zone.ZONE).start()
        self._stops.append(dns.stop)
        rdap = FakeRdapServer(slow_seconds=1.5).start()
        self._stops.append(rdap.stop)
        self.env = {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_TIMEOUT": "5",
            "HOTLINE_DNS_SERVERS": dns.address,
            "HOTLINE_RDAP_BOOTSTRAP": rdap.bootstrap_url,
            "HOTLINE_GEOIP_MMDB": str(zone.write_mmdb(self.tmp / "test-country-asn.mmdb")),
            "HOTLINE_CDN_DATA": str(zone.write_cdn_list(self.tmp / "cdn.json")),
        }
        return self

    def stop(self) -> None:
        for stop in reversed(self._stops):
            stop()


class ScratchPostgres:
    """A PostgreSQL cluster of the test's own (scripts/start-postgres.sh) that it may restart: never the
    shared server of the test suite."""

    def __init__(self, base: Path, port: int) -> None:
        self.base, self.port = base, port
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]

    def start(self) -> str:
        out = subprocess.run(
            [str(ROOT / "scripts/start-postgres.sh"), str(self.base), str(self.port)],
            check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        return out.stdout.strip().rsplit("/", 1)[0] + "/hotline_resilience"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.base / "data"), "-w",
             "-t", "60", *args],
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def restart(self) -> None:
        """A clean restart (fast mode: open connections are cut, committed work is kept)."""
        self._ctl("-l", str(self.base / "server.log"), "restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def production_env(database_url: str, tmp: Path, world: World) -> dict[str, str]:
    """The production settings (as deploy/ configures them) with made-up secrets, lifted per-client limits
    (all load comes from one address) and short leases, so work of a killed worker comes back in seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL", "DJANGO_", "EMAIL_"))}
    env.update(
        DATABASE_URL=database_url,
        HOTLINE_ENV="production",
        HOTLINE_SECRET_KEY=secrets.token_urlsafe(64),
        HOTLINE_DATA_KEYS=f"resil1:{base64.b64encode(os.urandom(32)).decode()}",
        HOTLINE_INDEX_KEY=secrets.token_urlsafe(32),
        HOTLINE_ALLOWED_HOSTS="127.0.0.1,localhost",
        HOTLINE_PUBLIC_URL="https://hotline.example.org",
        HOTLINE_SSL_REDIRECT="0",
        HOTLINE_VAR_DIR=str(tmp),
        HOTLINE_STATIC_ROOT=str(tmp / "static"),
        HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR="1000000000",
        HOTLINE_API_REQUESTS_PER_MINUTE="1000000000",
        HOTLINE_TASK_LEASE_SECONDS="20",
        HOTLINE_HOME_COUNTRY="SE",
        HOTLINE_POLICE_CHANNEL="download",
        HOTLINE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(SRC),
        PYTHONDONTWRITEBYTECODE="1",
        **world.env,
    )
    return env


# --- the servers ---------------------------------------------------------------------------------------
class Stack:
    """The web server and the two workers exactly as `manage.py serve` runs them, each in its own process
    group so `kill -9` takes a granian server with its worker processes."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env, self.tmp = env, tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.web_starts = self.worker_starts = 0

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [PY, str(ROOT / "manage.py"), *args], env=self.env, cwd=ROOT, capture_output=True, text=True,
            input=stdin, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def probe(self, command: str, payload: Any = None) -> Any:
        result = subprocess.run(
            [PY, PROBE, command], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=300,
            input=json.dumps(payload) if payload is not None else None,
        )  # fmt: skip
        assert result.returncode == 0, f"probe {command}:\n{result.stdout}\n{result.stderr}"
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        with (self.tmp / log).open("ab") as out:
            return subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start_web(self) -> None:
        self.web_starts += 1
        self.web = self._spawn(
            [GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2",
             "--blocking-threads", "1", "--working-dir", str(SRC), "--no-access-log", "--log-level", "warning",
             "hotline.wsgi:application"],
            "web.log",
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert self.web.poll() is None, (self.tmp / "web.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the web server did not come up in 90 s"
            time.sleep(0.2)

    def start_workers(self) -> None:
        self.worker_starts += 1
        worker = [PY, str(ROOT / "manage.py"), "db_worker", "--interval", "0.5", "-v", "0"]
        self.workers = [
            self._spawn([*worker, "--queue-name", "*", "--exclude-queues", "trace"], "worker.log"),
            self._spawn([*worker, "--queue-name", "trace", "--no-scheduler"], "worker.log"),
        ]

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGKILL) -> None:
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
        if proc is not None:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

    def kill_web(self) -> None:
        self._kill(self.web)

    def kill_workers(self) -> None:
        for proc in self.workers:
            self._kill(proc)

    def stop(self) -> None:
        self._kill(self.web, signal.SIGTERM)
        for proc in self.workers:
            self._kill(proc, signal.SIGTERM)


# --- the load --------------------------------------------------------------------------------------------
class Browser:
    """requests with a cookie header of its own: production cookies are Secure (`__Host-`), and the servers
    here speak plain HTTP on loopback behind no proxy."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None) -> None:
        self.base = base
        self.cookies = dict(cookies or {})
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(
            method, self.base + path, headers=headers, timeout=15, allow_redirects=False, **kwargs
        )
        self.cookies.update({c.name: c.value for c in response.cookies if c.value})
        self.http.cookies.clear()
        return response


def csrf_token(html: str) -> str:
    # The language switch carries the public pages' cookieless token, not the staff forms' CSRF token.
    html = re.sub(r'<form class="language-switch".*?</form>', "", html, flags=re.S)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


@dataclass
class Tally:
    """What the clients were told: acknowledged reports (receipt or id) and failed attempts by kind."""

    receipts: list[str] = field(default_factory=list)
    api_ids: list[str] = field(default_factory=list)
    confirmed_cases: list[int] = field(default_factory=list)
    assessed_cases: list[int] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_error(self, kind: str, response: requests.Response | None, exc: BaseException | None = None) -> None:
        with self.lock:
            if response is not None and response.status_code >= 500:
                # A 5xx while a process is being killed is the proxy-less client seeing a dying worker;
                # kept to be shown, judged by the test (never a half-written record).
                self.server_errors.append(f"{kind} {response.status_code}")
            self.errors[f"{kind}: {exc.__class__.__name__ if exc else response.status_code}"] += 1  # type: ignore[union-attr]


FORM = {
    "kind": "online_material",
    "url_fields": "3",
    "description": "A gallery page seen in a chat group.",
    "nexus_victim": "unknown",
    "nexus_offender": "unknown",
    "nexus_place": "unknown",
    "channel": "web",
    "action": "send",
}
ASSESSMENT = {
    "verdict": "csam_baseline",
    "kind": "online_material",
    "media_types": ["image"],
    "image_count": "3",
    "victim_age_group": "prepubescent",
    "victim_gender": "unknown",
    "site_type": "image_host",
    "reasoning": "Baseline material as described in the guideline (resilience test).",
}
HOSTS = 6  # reported URLs spread over a few hosts: each traced once, cases one per URL


def url_of(n: int) -> str:
    return f"https://h{n % HOSTS}.bench.example.test/gallery/{n}"


class Load:
    """Three client threads until stopped: the public form, partner API batches, an analyst at work."""

    def __init__(self, base: str, setup: dict[str, Any], tally: Tally, pace: float = 0.15) -> None:
        self.base, self.setup, self.tally, self.pace = base, setup, tally, pace
        self.stopping = threading.Event()
        self.counter = 0
        self.counter_lock = threading.Lock()
        self.handled: set[int] = set()  # cases the analyst confirmed a plan for (or was told it exists)
        self.threads = [
            threading.Thread(target=self._guard, args=(f, n), daemon=True)
            for n, f in (("form", self.reporter), ("api", self.partner), ("analyst", self.analyst))
        ]

    def next_n(self) -> int:
        with self.counter_lock:
            self.counter += 1
            return self.counter

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)

    def _guard(self, body: Any, name: str) -> None:
        while not self.stopping.is_set():
            try:
                body()
            except (requests.RequestException, AssertionError) as exc:
                self.tally.note_error(name, None, exc)
                self.stopping.wait(0.3)

    def reporter(self) -> None:
        """A reporter: the form page (CSRF cookie and token), the POST, the receipt on the thank-you page."""
        web = Browser(self.base)
        page = web.request("GET", "/report/")
        if page.status_code != 200:
            self.tally.note_error("form page", page)
            self.stopping.wait(0.3)
            return
        while not self.stopping.is_set():
            n = self.next_n()
            self.tally.attempts["form"] += 1
            sent = web.request("POST", "/report/", data={"csrfmiddlewaretoken": csrf_token(page.text), **FORM,
                                                          "url_1": url_of(n)})  # fmt: skip
            if sent.status_code == 303:  # stored: the receipt is on the one-time thank-you page it points to
                sent = web.request("GET", sent.headers["Location"])
            found = re.search(r'<p class="receipt"[^>]*>([\d ]+)</p>', sent.text) if sent.status_code == 200 else None
            if not found:
                self.tally.note_error("form", sent)
                return
            with self.tally.lock:
                self.tally.receipts.append(found.group(1))
            self.stopping.wait(self.pace)

    def partner(self) -> None:
        """A partner app: batches of three with an Idempotency-Key, resent with the same key until answered."""
        api = Browser(self.base)
        headers = {"Authorization": f"Bearer {self.setup['partner_key']}", "Idempotency-Key": secrets.token_hex(16)}
        body = {"reports": [{"kind": "online_material", "urls": [url_of(self.next_n())]} for _ in range(3)]}
        self.tally.attempts["api batch"] += 1
        for _ in range(200):  # the same request until it is answered: idempotency makes it once
            try:
                response = api.request("POST", "/api/v1/reports/batch", json=body, headers=headers)
            except requests.RequestException as exc:
                self.tally.note_error("api batch", None, exc)
                self.stopping.wait(0.3)
                continue
            if response.status_code == 201:
                with self.tally.lock:
                    self.tally.api_ids.extend(r["id"] for r in response.json()["reports"])
                break
            self.tally.note_error("api batch", response)
            self.stopping.wait(0.3)
        self.stopping.wait(self.pace * 3)

    def analyst(self) -> None:
        """An analyst: the queue, a case page, the assessment, the referral plan with a notice to the host."""
        staff = Browser(self.base, {self.setup["session_cookie"]: self.setup["sessions"]["analyst"]})
        queue = staff.request("GET", "/cases/")
        assert queue.status_code == 200, queue.status_code
        done = self.handled
        for case_id in [int(i) for i in dict.fromkeys(re.findall(r'href="/cases/(\d+)/"', queue.text))]:
            if case_id in done or self.stopping.is_set():
                continue
            assert staff.request("GET", f"/cases/{case_id}/").status_code == 200
            plan = staff.request("GET", f"/cases/{case_id}/referrals/")
            # Assessed already (perhaps by a POST whose answer a killed server never sent): no second one.
            if plan.status_code == 200 and 'name="assessment_id"' not in plan.text:
                # A GET claims nothing: the page's start button (a POST) claims the case, then the form shows.
                form = staff.request("GET", f"/cases/{case_id}/assess/")
                if form.status_code == 200 and 'name="verdict"' not in form.text:
                    staff.request(
                        "POST", f"/cases/{case_id}/assess/start/", data={"csrfmiddlewaretoken": csrf_token(form.text)}
                    )
                    form = staff.request("GET", f"/cases/{case_id}/assess/")
                if form.status_code != 200:
                    self.tally.note_error("assess page", form)
                    continue
                version = re.search(r'name="version" value="(\d+)"', form.text)
                assert version, "no version field on the assessment form"
                sent = staff.request(
                    "POST", f"/cases/{case_id}/assess/",
                    data={**ASSESSMENT, "version": version.group(1), "csrfmiddlewaretoken": csrf_token(form.text)},
                )  # fmt: skip
                if sent.status_code != 302:
                    self.tally.note_error("assess", sent)
                    continue
                with self.tally.lock:
                    self.tally.assessed_cases.append(case_id)
                plan = staff.request("GET", f"/cases/{case_id}/referrals/")
            recipient = re.search(r'name="host_notice_recipient" value="([^"]+)"', plan.text)
            assessment = re.search(r'name="assessment_id" value="(\d+)"', plan.text)
            if plan.status_code != 200 or not recipient or not assessment:
                continue  # not traced yet: back to it on a later round
            confirmed = staff.request(
                "POST", f"/cases/{case_id}/referrals/",
                data={"csrfmiddlewaretoken": csrf_token(plan.text), "assessment_id": assessment.group(1),
                      "targets": ["host_notice"], "host_notice_recipient": recipient.group(1),
                      "reason": "Resilience test: a notice to the host only."},
            )  # fmt: skip
            if confirmed.status_code == 302:
                with self.tally.lock:
                    self.tally.confirmed_cases.append(case_id)
            else:  # e.g. 409: confirmed already by a POST whose answer was lost; the checks count referrals
                self.tally.note_error("confirm plan", confirmed)
            done.add(case_id)
            self.stopping.wait(self.pace)
        self.stopping.wait(0.5)
