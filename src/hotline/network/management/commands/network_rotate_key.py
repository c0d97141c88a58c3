"""manage.py network_rotate_key: rotate this hotline's network key in two steps. `--start` publishes a new key
beside the signing key (which keeps signing, so no partner refuses a message meanwhile); partners pin the new
fingerprint, confirmed by phone; `--end` ends the overlap: the new key signs and the old one is no longer
published (partners then retire it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.network import conf
from hotline.network.protocol import KeyFileError


class Command(BaseCommand):
    help = "Rotate the hotline network key: --start publishes a new key beside the old one, --end switches to it."

    def add_arguments(self, parser: CommandParser) -> None:
        step = parser.add_mutually_exclusive_group(required=True)
        step.add_argument("--start", action="store_true", help="Publish a new key beside the signing key")
        step.add_argument("--end", action="store_true", help="Sign with the new key; stop publishing the old one")

    def handle(self, *args: Any, **options: Any) -> None:
        from hotline.network.services.identity import end_key_rotation, start_key_rotation

        try:
            if options["start"]:
                new = start_key_rotation()
                self.stdout.write(f"Published a new key beside the signing key ({conf.key_file()}.next, mode 0600).")
                self.stdout.write(f"New key fingerprint (read it to partners by phone): {new}")
                self.stdout.write("When every partner has pinned it, run network_rotate_key --end.")
            else:
                new = end_key_rotation()
                self.stdout.write(f"The new key signs now; the old one is no longer published. Fingerprint: {new}")
                self.stdout.write("Ask partners to retire the old key on their partners page.")
        except FileExistsError as exc:
            raise CommandError("A rotation is under way already: end it with --end first.") from exc
        except FileNotFoundError as exc:
            raise CommandError("No rotation is under way: start one with --start.") from exc
        except (KeyFileError, OSError) as exc:
            raise CommandError(str(exc)) from exc
