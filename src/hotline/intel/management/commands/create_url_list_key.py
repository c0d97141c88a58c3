"""manage.py create_url_list_key NAME: a key for an internet provider or filter to read Hotline's live URL list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.intel.services.url_feed import SCOPE_URL_LIST
from hotline.staff import services


class Command(BaseCommand):
    help = (
        "Create a key that can only read Hotline's list of live illegal URLs (/intel/feed/v1/live-urls.json and "
        ".csv) and print it once. Revoke keys at /staff/partner-keys/."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="The provider's name, e.g. 'Operator DNS filter'.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        try:
            record, key = services.create_partner_key(
                partner=name, actor="command:create_url_list_key", scopes=[SCOPE_URL_LIST]
            )
        except services.StaffError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Partner: {record.partner}\nKey id: {record.prefix}\nScopes: {SCOPE_URL_LIST}")
        self.stdout.write(f"Key (shown once): {key}")
