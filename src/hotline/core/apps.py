"""Shared platform pieces below every app: encryption, authorisation, security headers, the audit log, the task
queue and worker, and the registry of what each app contributes."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hotline.core"
    label = "core"
    verbose_name = "Hotline core"
