"""manage.py network_init: this hotline's identity in the network (code, countries, base URL) and its Ed25519
key file (HOTLINE_NETWORK_KEY_FILE, mode 0600; an existing key is kept). Run again to change code, countries
or base URL."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.core import conf as core_conf
from hotline.network import conf
from hotline.network.errors import NetworkError


class Command(BaseCommand):
    help = "Set this hotline's code, countries and base URL for the hotline network; create its key file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="Hotline code, e.g. SE-ECPAT")
        parser.add_argument("--countries", required=True, help="Countries covered, e.g. SE or NL,BE")
        parser.add_argument("--base-url", required=True, help="Public base URL, e.g. https://hotline.example.org")
        parser.add_argument("--name", default="", help="Name shown to partners (default HOTLINE_ORGANISATION)")
        parser.add_argument("--contact-email", default="", help="Contact address for partners' administrators")
        parser.add_argument("--contact-phone", default="", help="Phone number for confirming fingerprints")

    def handle(self, *args: Any, **options: Any) -> None:
        from hotline.network.services import initialise

        name = options["name"] or core_conf.text("HOTLINE_ORGANISATION", "Hotline")
        email = options["contact_email"] or core_conf.text("DEFAULT_FROM_EMAIL", "") or "hotline@example.invalid"
        try:
            identity, key_fingerprint, created = initialise(
                code=options["code"].strip().upper(),
                countries=options["countries"].replace(" ", ",").split(","),
                base_url=options["base_url"],
                name=name,
                contact_email=email,
                contact_phone=options["contact_phone"],
            )
        except (NetworkError, FileExistsError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if created else "Kept"
        self.stdout.write(f"{verb} the network key {conf.key_file()} (mode 0600).")
        self.stdout.write(f"This hotline is {identity.code} ({identity.countries}) at {identity.base_url}.")
        self.stdout.write(f"Key fingerprint (read it to partners by phone): {key_fingerprint}")
