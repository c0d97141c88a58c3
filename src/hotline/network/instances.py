"""Running several Hotline instances side by side on loopback, each with its own SQLite file, key file, web
server and worker (`manage.py serve`): the three-instance test, `make run-network` and bench/network.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess  # nosec B404  # our own manage.py, fixed argument lists, never a shell
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[3]
PY = sys.executable


@dataclass
class Instance:
    code: str
    country: str
    tmp: Path
    port: int = 8000
    extra_env: dict[str, str] = field(default_factory=dict)
    database_url: str = ""  # default: the instance's own SQLite file
    proc: subprocess.Popen[bytes] | None = None
    fingerprint: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.tmp / "hotline.sqlite3"

    @property
    def log(self) -> Path:
        return self.tmp / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DATABASE_URL", "EMAIL_"))}
        env.update(
            DATABASE_URL=self.database_url or f"sqlite:///{self.db}",
            HOTLINE_ENV="development",
            HOTLINE_VAR_DIR=str(self.tmp),
            HOTLINE_HOME_COUNTRY=self.country,
            HOTLINE_PUBLIC_URL=self.url,
            HOTLINE_NETWORK_KEY_FILE=str(self.tmp / "network-key.pem"),
            HOTLINE_NETWORK_RETRY_BASE_SECONDS="0.5",
            HOTLINE_NETWORK_RETRY_CAP_SECONDS="2",
            HOTLINE_NETWORK_TIMEOUT_SECONDS="3",
            HOTLINE_FOUR_EYES_VERDICTS="none",
            HOTLINE_REFERRAL_POLICY="notice_at_once",
            HOTLINE_POLICE_CHANNEL="download",
            HOTLINE_MONITORING_HOURS="0",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def manage(self, *args: str) -> str:
        command = [PY, str(ROOT / "manage.py"), *args]
        out = subprocess.run(command, env=self.env(), cwd=ROOT, capture_output=True, text=True, timeout=180)  # nosec B603  # our own manage.py, no shell
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {args[0] if args else ''} failed:\n{out.stdout}{out.stderr}")
        return out.stdout

    def run(self, code: str) -> Any:
        """Run `code` in this instance (it sets `result`); returns result as JSON."""
        wrapped = code + "\nimport json as _j\nprint('RESULT=' + _j.dumps(result, default=str))\n"
        out = self.manage("shell", "-c", wrapped)
        line = next(line for line in out.splitlines() if line.startswith("RESULT="))
        return json.loads(line[len("RESULT=") :])

    def web_only_command(self, app: str = "hotline.wsgi:application") -> list[str]:
        """The web server exactly as `manage.py serve` starts it (granian, 2 WSGI workers, 1 blocking thread
        each), without the task workers: bench/network.py measures the inbox against it with the background
        work (triage, statuses owed back) paused, for the signed and the baseline requests alike. `app`: the
        WSGI application (the bench's module adds its baseline view to the site's URLs)."""
        return [
            str(Path(PY).with_name("granian")),
            "--interface", "wsgi",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--workers", "2",
            "--blocking-threads", "1",
            "--working-dir", str(ROOT / "src"),
            "--no-access-log",
            "--log-level", "warning",
            app,
        ]  # fmt: skip

    def start(self, *, web_only: bool = False, app: str = "hotline.wsgi:application") -> None:
        command = (
            self.web_only_command(app) if web_only else [PY, str(ROOT / "manage.py"), "serve", "--port", str(self.port)]
        )
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # nosec B603  # our own manage.py, no shell
                command,
                env=self.env(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"{self.url}/healthz", timeout=2) as answer:  # nosec B310  # our own loopback URL
                    if answer.status == 200:
                        return
            except (URLError, OSError):
                pass
            assert time.monotonic() < deadline, self.log.read_text(errors="replace")
            time.sleep(0.3)

    def kill_hard(self) -> None:
        """kill -9 of the whole process group: web server and workers, mid-whatever they do."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
