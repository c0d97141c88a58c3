"""The scheduler thread beside the task worker: recovers runs of dead workers and enqueues due periodic jobs
(the task table itself is hotline.core.taskqueue's)."""

from __future__ import annotations

import logging
import threading

from django.db import connection

from hotline.core import metrics, scheduler
from hotline.core.taskqueue import requeue_stale_tasks

logger = logging.getLogger("hotline.worker")


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
                metrics.flush_when_due()  # counts of task runs while the queue is idle
            except Exception:
                logger.exception("Scheduler round failed; trying again next round.")
            finally:
                connection.close()
            self.stop_event.wait(self.interval)
