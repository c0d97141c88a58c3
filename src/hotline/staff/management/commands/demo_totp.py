"""`manage.py demo_totp EMAIL`: print the current TOTP code of a demo account (development only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from hotline.staff.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account (refused in production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for development only.")
        device = TOTPDevice.objects.filter(user__email=email.lower(), confirmed=True).first()
        if device is None:
            raise CommandError(f"No confirmed TOTP device for {email}.")
        self.stdout.write(
            f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
        )
