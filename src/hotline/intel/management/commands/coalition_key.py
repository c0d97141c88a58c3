"""manage.py coalition_key: create the Ed25519 key that signs coalition exports, or show its public half."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.intel import coalition_keys, payments_conf


class Command(BaseCommand):
    help = (
        "Create the coalition signing key (HOTLINE_COALITION_KEY_FILE, mode 0600) if it does not exist, "
        "then print its public key and key id for the coalition members to pin."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--show", action="store_true", help="only show the existing key; never create one")

    def handle(self, *args: Any, **options: Any) -> None:
        path = payments_conf.coalition_key_file()
        try:
            if path.exists() or options["show"]:
                key = coalition_keys.read_key_file(path)
                self.stdout.write(f"Using the existing key {path}.")
            else:
                key = coalition_keys.create_key_file(path)
                self.stdout.write(f"Created {path} (mode 0600). Back it up with the other keys of this instance.")
        except coalition_keys.CoalitionKeyError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Key id (SHA-256 of the raw public key): {key.key_id}")
        self.stdout.write(key.public_pem.rstrip())
