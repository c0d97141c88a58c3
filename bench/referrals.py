"""Referrals benchmark (`make bench-referrals`): notices to hosts sent per second by the worker code.

    .venv/bin/python bench/referrals.py            # BENCH_NOTICES=500 by default

Runs on its own fresh SQLite database in a temporary directory (or, when DATABASE_URL names a
PostgreSQL server, a fresh database "<name>_bench_referrals" on it, dropped afterwards), with a
real SMTP server (aiosmtpd) on 127.0.0.1. In the same run it measures:

  (a) worker code, direct: `hotline.referrals.services.deliver(id)` for N planned notices (claim,
      snapshot, X-ARF v4 built and schema-validated, email rendered, SMTP, result recorded + audited);
  (b) worker code, through the task queue: the same for another N notices, enqueued by the real
      confirm service and run by the django-tasks-db worker loop (`run_pending_tasks`);
  (c) baseline: N bare `django.core.mail.send_mail` calls to the same server (one connection each,
      as the worker opens one per delivery).

and prints each rate and the ratio to the baseline. Checks that the server received every message.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO)]
N = int(os.environ.get("BENCH_NOTICES", "500"))


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database() -> tuple[str, Any]:
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, name = given.rpartition("/")
        name = name.split("?")[0] or "postgres"
        bench_name = f"{name}_bench_referrals"
        maintenance = f"{base}/postgres"  # the named database need not exist and is never touched
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}"')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
        os.environ["DATABASE_URL"] = f"{base}/{bench_name}"

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')

        return "postgresql", drop
    tmp = tempfile.mkdtemp(prefix="hotline-bench-referrals-")
    os.environ.pop("DATABASE_URL", None)
    os.environ["HOTLINE_VAR_DIR"] = tmp
    return "sqlite", lambda: shutil.rmtree(tmp, ignore_errors=True)


class Sink:
    """aiosmtpd handler: counts accepted messages (and keeps no content)."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.bytes += len(envelope.content or b"")
        return "250 OK"


def make_cases(n: int, offset: int, analyst: Any) -> list[int]:
    """n assessed cases hosted in BR, each host traced once (through tracing's record_outcome), as the
    tests build them (hotline.testing)."""
    from django.db import transaction

    from hotline.testing import make_assessed_case, traced_host

    ids = []
    with transaction.atomic():
        for i in range(offset, offset + n):
            host = f"h{i}.bench.example.test"
            case = make_assessed_case(
                host=host, path=f"/album/{i}", country="BR", hosting=False, analyst=analyst, description="",
                contact="", victim_age_group="", victim_gender="", site_type="",
            )  # fmt: skip
            traced_host(
                host, country="BR", ip=f"198.51.100.{i % 250 + 1}", network_name="BENCH-NET",
                abuse_email=f"abuse{i % 7}@host.example", holder="Bench Hosting", cidr="198.51.100.0/24",
            )  # fmt: skip
            ids.append(case.pk)
    return ids


def plan_notices(case_ids: list[int], analyst: Any) -> list[int]:
    """Confirm a notice-only plan per case with the real service (enqueues the delivery tasks)."""
    from hotline.cases.models import Case
    from hotline.referrals import selectors, services

    referral_ids = []
    for case_id in case_ids:
        state = selectors.case_plan(case=Case.objects.get(pk=case_id))
        (referral,) = services.confirm_referral_plan(
            case_id=case_id,
            actor=analyst,
            assessment_id=state.assessment.pk,
            choices=[services.TargetChoice(key="host_notice")],
            adjust_reason="bench: notice only",
        )
        referral_ids.append(referral.pk)
    return referral_ids


def main() -> int:
    vendor, cleanup = fresh_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    os.environ["HOTLINE_ENV"] = "development"
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command

    port = free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        say(f"Referrals benchmark: {N} notices per path, {vendor}, aiosmtpd on 127.0.0.1:{port}")
        call_command("migrate", verbosity=0)
        from django.core.mail import send_mail

        from hotline.core.taskqueue import run_pending_tasks
        from hotline.referrals import services
        from hotline.referrals.models import Referral
        from hotline.testing import staff_user

        analyst = staff_user(email="bench-analyst@hotline.example", password="bench-password-1", with_device=False)
        t0 = time.perf_counter()
        direct_ids = plan_notices(make_cases(N, 0, analyst), analyst)
        queued_ids = plan_notices(make_cases(N, N, analyst), analyst)
        say(f"  set-up: {2 * N} cases with hosting facts and confirmed plans in {time.perf_counter() - t0:.1f} s")

        # (c) baseline first, so the server and the connection path are warm for everyone.
        body = "x" * 1500
        t0 = time.perf_counter()
        for i in range(N):
            send_mail(f"Baseline {i}", body, settings.DEFAULT_FROM_EMAIL, [f"abuse{i % 7}@host.example"])
        baseline = N / (time.perf_counter() - t0)

        # (a) the worker's delivery code, called directly. The tasks enqueued for these ids then find
        # nothing due (their claim moved next_attempt_at): run them off before (b) so (b) measures only its own.
        t0 = time.perf_counter()
        results = [services.deliver(rid) for rid in direct_ids]
        direct = N / (time.perf_counter() - t0)
        assert results.count("sent") == N, results[:5]

        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(args_kwargs__args__0__in=direct_ids).delete()

        # (b) through the task queue and the django-tasks-db worker loop.
        t0 = time.perf_counter()
        ran = run_pending_tasks()
        queued = N / (time.perf_counter() - t0)
        sent = Referral.objects.filter(pk__in=queued_ids, state="sent").count()

        expected = 3 * N
        per_message = sink.bytes / max(1, sink.count)
        say(f"  SMTP server received {sink.count} messages ({per_message:.0f} bytes each on average)")
        say(f"  (c) baseline, bare send_mail:         {baseline:8.1f} messages/s")
        say(f"  (a) worker code, deliver() directly:   {direct:8.1f} notices/s  ({direct / baseline:.2f} x baseline)")
        say(
            f"  (b) worker code, task queue ({ran:4d}):   {queued:8.1f} notices/s  ({queued / baseline:.2f} x baseline)"
        )
        if sink.count != expected or sent != N:
            say(f"FAIL: expected {expected} messages and {N} sent referrals, got {sink.count} and {sent}")
            return 1
        return 0
    finally:
        controller.stop()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
