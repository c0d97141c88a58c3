"""`manage.py demo_data`: load made-up demo data (reserved names only), idempotently.

Each app registers its step in its AppConfig.ready() (hotline.core.registry); the steps run in their order.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.core import registry


class Command(BaseCommand):
    help = "Load demo data (made-up, reserved domain names only). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_data refuses to run with HOTLINE_ENV=production.")
        for step in registry.demo_steps():
            step.load(self.stdout)
        self.stdout.write("Demo data ready.")
