"""Intelligence: hash lists with exact and PDQ near-match, known-URL lists, payment indicators (docs/intel.md)."""

from __future__ import annotations

from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "hotline.intel"
    label = "intel"
    verbose_name = "Intelligence"

    def ready(self) -> None:
        # Each part of the app registers its hooks, staff links and demo steps from its own module.
        from hotline.intel import payments_setup

        payments_setup.ready()
