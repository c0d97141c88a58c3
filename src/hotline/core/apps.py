"""Shared platform pieces: encryption, authorisation, security headers, task worker."""

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
