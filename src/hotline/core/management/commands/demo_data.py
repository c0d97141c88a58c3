"""`manage.py demo_data`: load made-up demo data (reserved names only), idempotently.

Each app may provide `hotline.<app>.demo.load(stdout)`; they run in dependency order.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEMO_ORDER = ["staff", "intake", "cases", "tracing", "referrals", "campaigns"]


class Command(BaseCommand):
    help = "Load demo data (made-up, reserved domain names only). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_data refuses to run with HOTLINE_ENV=production.")
        for app in DEMO_ORDER:
            try:
                module = import_module(f"hotline.{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name == f"hotline.{app}.demo":
                    continue
                raise
            module.load(self.stdout)
        self.stdout.write("Demo data ready.")
