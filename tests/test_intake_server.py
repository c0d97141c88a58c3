"""Public reporting through a REAL server process (granian, as `manage.py serve` starts it).

1. Anonymity: after reports via the form, the share target, the status page and the API, neither the
   database file (with its WAL), nor the server's log, nor the task table contains the client's
   address, its User-Agent or the reported URLs in clear.
2. Nothing lost: `kill -9` of the server in the middle of a load; every acknowledged report is in the
   database with its triage task, and no report is half written.

Each test uses its own SQLite file (a copy of the run's migrated template) and its own port and log.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
GRANIAN = Path(sys.executable).with_name("granian")

CLIENT_IP = "203.0.113.77"  # what our (pretend) reverse proxy says the client is
USER_AGENT = "HotlineAnonymityProbe/7.3 (unique-ua-4f9c1e)"
PROBE_HOST = "anonymity-probe.example"

# Its servers always use SQLite files, whatever DATABASE_URL names.
pytestmark = [pytest.mark.slow, pytest.mark.own_sqlite]


def server_env(tmp: Path, db_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{db_file}",
        HOTLINE_VAR_DIR=str(tmp),
        HOTLINE_ENV="development",
        HOTLINE_LOG_LEVEL="DEBUG",  # the most a misconfigured server could log
        HOTLINE_TRUSTED_PROXY_COUNT="1",
        HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR="100000",
        HOTLINE_API_REQUESTS_PER_MINUTE="100000",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: Any, migrated_sqlite: Callable[[Path], Path]) -> Path:
    return migrated_sqlite(tmp_path_factory.mktemp("intake-template") / "template.sqlite3")


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    db_file: Path
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def kill_hard(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the whole granian process group, workers included
        self.proc.wait(timeout=30)


@pytest.fixture
def server(migrated_db: Path, tmp_path: Path) -> Iterator[Server]:
    db_file = tmp_path / "hotline.sqlite3"
    shutil.copy(migrated_db, db_file)
    env = server_env(tmp_path, db_file)
    port = free_port()
    log = tmp_path / "server.log"
    command = [
        str(GRANIAN),
        "--interface", "wsgi",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "2",
        "--blocking-threads", "1",
        "--working-dir", str(SRC),
        "--no-access-log",  # as serve.py: access logs would hold paths
        "--log-level", "warning",
        "hotline.wsgi:application",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(url=f"http://127.0.0.1:{port}", proc=proc, log=log, db_file=db_file, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{srv.url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            assert proc.poll() is None, log.read_text(errors="replace")
            time.sleep(0.2)
        yield srv
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def browser_session() -> requests.Session:
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT, "X-Forwarded-For": CLIENT_IP})
    return session


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def form_fields(**extra: str) -> dict[str, str]:
    data = {
        "kind": "online_material",
        "url_fields": "3",
        "nexus_victim": "unknown",
        "nexus_offender": "unknown",
        "nexus_place": "unknown",
        "channel": "web",
        "action": "send",
    }
    data.update(extra)
    return data


def send_form(session: requests.Session, base: str, page: str, **fields: str) -> str:
    token = csrf_token(page)
    response = session.post(f"{base}/report/", data={"csrfmiddlewaretoken": token, **form_fields(**fields)}, timeout=10)
    assert response.status_code == 200, response.text[:500]
    return re.search(r'<p class="receipt"[^>]*>([\d ]+)</p>', response.text).group(1)  # type: ignore[union-attr]


def test_nothing_about_the_reporter_is_stored_or_logged(server: Server) -> None:
    key = server.manage("create_partner_key", "Probe partner").strip().splitlines()[-1]
    urls = [f"https://{PROBE_HOST}/secret/page-{i}?ref=probe" for i in range(4)]
    web = browser_session()

    # 1. the web form
    receipt = send_form(
        web, server.url, web.get(f"{server.url}/report/", timeout=10).text, url_1=urls[0], url_2=urls[1]
    )
    # 2. the share target, then the prefilled form
    shared = web.post(f"{server.url}/share/", data={"title": "t", "text": "", "url": urls[2]}, timeout=10)
    assert urls[2] in shared.text
    send_form(web, server.url, shared.text, url_1=urls[2], channel="share")
    # 3. the status page: a wrong receipt (rate-limit counter), the right one, and a message
    status_page = web.get(f"{server.url}/report/status/", timeout=10).text
    token = csrf_token(status_page)
    assert (
        web.post(
            f"{server.url}/report/status/",
            data={"csrfmiddlewaretoken": token, "receipt": "0000 0000 0000 0000"},
            timeout=10,
        ).status_code
        == 404
    )
    added = web.post(
        f"{server.url}/report/status/",
        data={"csrfmiddlewaretoken": token, "receipt": receipt, "message": f"Also seen at {urls[3]}"},
        timeout=10,
    )
    assert added.status_code == 200 and "message success" in added.text
    # 4. the partner API (the partner's own client also sends a User-Agent and a forwarded address)
    api = browser_session()
    api.headers["Authorization"] = f"Bearer {key}"
    created = api.post(f"{server.url}/api/v1/reports", json={"kind": "online_material", "urls": [urls[3]]}, timeout=10)
    assert created.status_code == 201
    batch = api.post(
        f"{server.url}/api/v1/reports/batch",
        json={"reports": [{"kind": "online_material", "urls": [u]} for u in urls]},
        headers={"Idempotency-Key": "probe-batch-1"},
        timeout=10,
    )
    assert batch.status_code == 201
    # 5. errors are not logged with request data either
    assert (
        api.post(
            f"{server.url}/api/v1/reports", data=b"{broken", headers={"Content-Type": "application/json"}, timeout=10
        ).status_code
        == 400
    )
    assert web.get(f"{server.url}/share/?url={urls[0]}", timeout=10, allow_redirects=False).status_code == 302

    server.proc.send_signal(signal.SIGTERM)
    os.killpg(server.proc.pid, signal.SIGTERM)
    server.proc.wait(timeout=30)

    stored = b"".join(p.read_bytes() for p in server.db_file.parent.glob(server.db_file.name + "*"))
    log = server.log.read_bytes()
    with sqlite3.connect(server.db_file) as db:
        reports = db.execute("SELECT COUNT(*) FROM cases_report").fetchone()[0]
        payloads = repr(db.execute("SELECT args_kwargs, task_path FROM django_tasks_database_dbtaskresult").fetchall())
    assert reports == 2 + 1 + 4  # the checks below looked at a database that holds the reports
    needles = [CLIENT_IP, USER_AGENT, "unique-ua-4f9c1e", PROBE_HOST, *urls, key, receipt.replace(" ", "")]
    for needle in needles:
        for name, haystack in (("database file", stored), ("server log", log), ("task table", payloads.encode())):
            assert needle.encode() not in haystack, f"{needle!r} found in the {name}"
    assert b"127.0.0.1" not in stored  # nor the socket address of the proxy/client


def test_kill_9_during_a_load_loses_no_acknowledged_report(server: Server) -> None:
    key = server.manage("create_partner_key", "Load partner").strip().splitlines()[-1]
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        n = 0
        while not stop.is_set() and n < 5000:
            n += 1
            body = {
                "kind": "online_material",
                "urls": [f"https://load.example/{worker}/{n}/a", f"https://load.example/{worker}/{n}/b"],
            }
            try:
                response = session.post(f"{server.url}/api/v1/reports", json=body, timeout=5)
            except requests.RequestException:
                continue  # not acknowledged: the client would retry (with the same Idempotency-Key)
            if response.status_code == 201:
                with lock:
                    acked.append(response.json()["id"].replace("-", ""))

    threads = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill_hard()  # mid-load: requests are in flight in both workers
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acked) >= 50, "the load did not get going"

    with sqlite3.connect(server.db_file) as db:
        stored = {row[0]: row[1] for row in db.execute("SELECT public_id, id FROM cases_report")}
        url_counts = dict(db.execute("SELECT report_id, COUNT(*) FROM cases_reportedurl GROUP BY report_id").fetchall())
        task_ids = [
            int(re.search(r"\[(\d+)\]", row[0]).group(1))  # type: ignore[union-attr]
            for row in db.execute(
                "SELECT args_kwargs FROM django_tasks_database_dbtaskresult WHERE task_path LIKE '%triage_reports'"
            )
        ]
    missing = [a for a in acked if a not in stored]
    assert not missing, f"{len(missing)} acknowledged reports are not in the database"
    assert len(stored) >= len(acked)
    for pk in stored.values():  # no half report: every stored report is whole
        assert url_counts.get(pk) == 2, pk
    assert sorted(task_ids) == sorted(stored.values())  # exactly one triage task per report
