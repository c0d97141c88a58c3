"""`manage.py create_partner_key NAME`: a new partner API key, printed once (only its SHA-256 is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.staff import services
from hotline.staff.models import DEFAULT_SCOPES


class Command(BaseCommand):
    help = "Create an API key for a partner and print it once. Revoke keys at /staff/partner-keys/."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="The partner's name, e.g. 'Operator Safe Report app'.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=DEFAULT_SCOPES,
            help="Limit the key to these scopes (default: all).",
        )

    def handle(self, *args: Any, name: str, scopes: list[str] | None, **options: Any) -> None:
        try:
            record, key = services.create_partner_key(partner=name, actor="command:create_partner_key", scopes=scopes)
        except services.StaffError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Partner: {record.partner}\nKey id: {record.prefix}\nScopes: {', '.join(record.scopes)}")
        self.stdout.write("API key (shown only now; store it in the partner's secret store):")
        self.stdout.write(key)
