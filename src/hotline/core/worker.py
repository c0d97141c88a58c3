"""Task worker support: recover tasks of dead workers, run the scheduler, run tasks in tests."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from hotline.core import scheduler

logger = logging.getLogger("hotline.worker")


def make_worker_id() -> str:
    return f"{socket.gethostname()[:40]}.{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_stale_tasks(*, now: datetime | None = None) -> int:
    """Put RUNNING tasks of dead workers back to READY, so a kill -9 loses nothing.

    A task is stale when its worker ran on this host and that process is gone, or when it has
    run longer than HOTLINE_TASK_LEASE (a worker on another machine died). Tasks are written
    to be idempotent, so running one again is safe.
    """
    now = now or timezone.now()
    host = socket.gethostname()[:40]
    stale_ids = []
    with transaction.atomic():
        for result in DBTaskResult.objects.running().select_for_update(skip_locked=True):
            worker_id = (result.worker_ids or [""])[-1]
            w_host, _, pid = worker_id.rpartition(".")
            dead_here = w_host == host and pid.isdigit() and not _pid_alive(int(pid))
            expired = result.started_at is not None and now - result.started_at > settings.HOTLINE_TASK_LEASE
            if dead_here or expired:
                stale_ids.append(result.pk)
        if stale_ids:
            DBTaskResult.objects.filter(pk__in=stale_ids).update(status=TaskResultStatus.READY, started_at=None)
    if stale_ids:
        logger.warning("Re-queued %d task(s) left running by a stopped worker.", len(stale_ids))
    return len(stale_ids)


class SchedulerThread(threading.Thread):
    """Beside the worker loop: every `interval` seconds, recover stale tasks and enqueue due jobs."""

    def __init__(self, interval: float = 30.0):
        super().__init__(name="hotline-scheduler", daemon=True)
        self.interval = interval
        self.stop_event = threading.Event()

    def run(self) -> None:
        scheduler.load_all_task_modules()
        while not self.stop_event.is_set():
            try:
                requeue_stale_tasks()
                scheduler.enqueue_due_jobs()
            except Exception:
                logger.exception("Scheduler round failed; trying again next round.")
            finally:
                connection.close()
            self.stop_event.wait(self.interval)


def run_pending_tasks(*, max_tasks: int = 10_000) -> int:
    """Run every ready task in this process until none is left (tests and benchmarks).

    Claims and runs tasks with the same code as `db_worker` (claim under lock, Worker.run_task),
    but never closes the database connection, so it also works inside a test's transaction.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.utils import exclusive_transaction

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=make_worker_id(),
        excluded_queue_names=[],
    )
    ran = 0
    while ran < max_tasks:
        with exclusive_transaction():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                break
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran
