"""`manage.py serve`: run the web server (granian, WSGI) and the task worker together.

Used by `make run`. Prints the URL and what the apps registered to say (in development, the demo staff
logins). Ctrl-C stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess  # nosec B404  # fixed argument lists, never a shell
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from hotline.core import conf, registry

SRC_DIR = Path(settings.BASE_DIR).parent
MANAGE = SRC_DIR.parent / "manage.py"


def running_address(host: str, port: int) -> str:
    """The address a browser on this machine reaches the server at: a wildcard listen address is not one."""
    if host in {"0.0.0.0", "", "::", "[::]"}:  # noqa: S104  # nosec B104  # compared, never bound here
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Run web server and task worker together (embedded mode)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))

    def handle(self, *args: Any, port: int, host: str, web_workers: int, **options: Any) -> None:
        running = running_address(host, port)
        if "HOTLINE_PUBLIC_URL" not in os.environ and not getattr(settings, "PRODUCTION", False):
            # Share and confirmation links name the address this server answers on (PORT, HOST), not the
            # default 8000: the web server and workers started below read it from their environment, and
            # this process (its start-up lines) from the setting.
            os.environ["HOTLINE_PUBLIC_URL"] = running
            settings.HOTLINE_PUBLIC_URL = running
            conf.clear_cache()
        granian = Path(sys.executable).with_name("granian")
        web_cmd = [
            str(granian),
            "--interface", "wsgi",
            "--host", host,
            "--port", str(port),
            "--workers", str(web_workers),
            "--blocking-threads", "1",
            "--working-dir", str(SRC_DIR),
            "--no-access-log",  # access logs would hold paths; reporters stay anonymous
            "--log-level", "warning",
            "hotline.wsgi:application",
        ]  # fmt: skip
        # An idle worker looks for work every 0.2 s (a task committed now starts within that, on average half):
        # each look is one indexed query, a negligible load even for a small server, and a forward or status
        # crosses two workers (sender's send, receiver's triage) on its way into the receiver's queue.
        worker = [sys.executable, str(MANAGE), "db_worker", "--interval", "0.2", "-v", "0"]
        # Hosting traces wait on DNS/RDAP timeouts: a worker of their own keeps them from
        # holding up intake, triage and mail.
        procs = [
            subprocess.Popen(web_cmd),  # nosec B603  # our own programs, no shell
            subprocess.Popen([*worker, "--queue-name", "*", "--exclude-queues", "trace"]),  # nosec B603  # our own programs, no shell
            subprocess.Popen([*worker, "--queue-name", "trace", "--no-scheduler"]),  # nosec B603  # our own programs, no shell
        ]
        time.sleep(1.0)
        self.stdout.write(self.style.SUCCESS(f"\nHotline is running on http://{host}:{port}/"))
        self.stdout.write(f"  public report form: http://{host}:{port}/report/")
        self.stdout.write(f"  staff sign-in:      http://{host}:{port}/staff/login/")
        for lines in registry.serve_lines():
            self.stdout.write(lines)
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")
        self.stdout.flush()  # to a pipe or file (make run | tee) stdout is block-buffered: show it now

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.3)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [str(p.args) for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            self.stderr.write(f"A process stopped unexpectedly: {failed}")
            sys.exit(1)
