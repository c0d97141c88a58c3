"""`manage.py db_worker`: django-tasks-db's worker, plus stale-task recovery and the scheduler."""

from __future__ import annotations

import atexit
from typing import Any

from django_tasks_db.management.commands import db_worker

from hotline.core.metrics import flush_at_exit
from hotline.core.taskqueue import make_worker_id, requeue_stale_tasks
from hotline.core.worker import SchedulerThread


class Command(db_worker.Command):
    help = "Run the Hotline task worker (all queues by default) with the periodic-job scheduler."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", worker_id=make_worker_id(), reload=False)
        parser.add_argument("--no-scheduler", action="store_true", help="Do not run periodic jobs in this worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        requeue_stale_tasks()
        atexit.register(flush_at_exit)  # the counts of the last tasks, for /metrics
        if not options.pop("no_scheduler", False) and not options.get("batch"):
            SchedulerThread().start()
        super().handle(*args, **options)
