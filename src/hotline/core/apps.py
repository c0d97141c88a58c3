"""Shared platform pieces below every app: the one settings reader, domain errors, encryption, authorisation,
security headers, the audit log, the task queue and worker, health, metrics and backups, and the registry of what
each app contributes."""

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "hotline.core"
    label = "core"
    verbose_name = "Hotline core"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django_tasks.signals import task_finished

        from hotline.core import conf, metrics, retention, retention_policies

        conf.register_accessors("core.E001", conf.ACCESSORS)
        conf.register_accessors("core.E002", retention.ACCESSORS)
        retention_policies.register()
        checks.register(conf.check_settings)
        # Counts of /metrics: stored after the response went out, and after each task run in the worker.
        request_finished.connect(metrics.flush_when_due, dispatch_uid="hotline.core.metrics.flush")
        task_finished.connect(metrics.task_finished, dispatch_uid="hotline.core.metrics.task_finished")
