"""Shared platform pieces below every app: the one settings reader, domain errors, encryption, authorisation,
security headers, the audit log, the task queue and worker, and the registry of what each app contributes."""

from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "hotline.core"
    label = "core"
    verbose_name = "Hotline core"

    def ready(self) -> None:
        from hotline.core import conf

        conf.register_accessors("core.E001", conf.ACCESSORS)
        checks.register(conf.check_settings)
