"""Shared platform pieces: encryption, authorisation, security headers, task worker."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hotline.core"
    label = "core"
    verbose_name = "Hotline core"
