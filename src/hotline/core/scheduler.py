"""Periodic jobs: small named tasks, each with its interval, enqueued by the worker when due.

Register with `@periodic(every=timedelta(...))` on top of a django-tasks `@task()`. Several
workers may run: the ScheduledRun row is locked, so each due job is enqueued once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.core.models import ScheduledRun


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: Any
    every: timedelta


REGISTRY: dict[str, PeriodicJob] = {}


def periodic(*, every: timedelta, name: str | None = None) -> Any:
    def decorator(task: Any) -> Any:
        job_name = name or task.module_path
        REGISTRY[job_name] = PeriodicJob(name=job_name, task=task, every=every)
        return task

    return decorator


def enqueue_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Enqueue every registered job whose interval has passed. Returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in REGISTRY.values():
        with transaction.atomic():
            run, created = ScheduledRun.objects.select_for_update().get_or_create(
                name=job.name, defaults={"last_enqueued_at": now}
            )
            if created or now - run.last_enqueued_at >= job.every:
                job.task.enqueue()
                run.last_enqueued_at = now
                run.save(update_fields=["last_enqueued_at"])
                enqueued.append(job.name)
    return enqueued


def load_all_task_modules() -> None:
    """Import every app's tasks module so their @periodic registrations exist."""
    from importlib import import_module

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("hotline."):
            try:
                import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise
