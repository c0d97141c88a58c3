"""manage.py network_add_partner: register a partner hotline from its base URL and pin the key whose fingerprint
the operator confirmed with the partner (the staff page's two steps for scripted set-ups, e.g. make run-network).
Without --fingerprint it only shows what it fetched."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.network.errors import NetworkError
from hotline.network.protocol import normalize_fingerprint
from hotline.referrals.errors import ReferralError

CLI_ACTOR = "system:cli"


class Command(BaseCommand):
    help = "Register a partner hotline on the network from its base URL, pinning a confirmed key fingerprint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", required=True)
        parser.add_argument("--fingerprint", action="append", default=[], help="A fingerprint the partner confirmed")
        parser.add_argument("--language", default="en", choices=["en", "sv"])

    def handle(self, *args: Any, **options: Any) -> None:
        from hotline.network.services import fetch_identity, register_partner

        try:
            fetched = fetch_identity(base_url=options["base_url"])
            self.stdout.write(
                f"{fetched.identity.code} ({fetched.identity.name}), {','.join(fetched.identity.countries)}"
            )
            for key in fetched.keys:
                self.stdout.write(f"  key {key.fingerprint}{' (pinned)' if key.pinned else ''}")
            wanted = {normalize_fingerprint(f) for f in options["fingerprint"]}
            if not wanted:
                self.stdout.write("Nothing pinned: confirm a fingerprint by phone and pass it with --fingerprint.")
                return
            confirmed = [k.key_id for k in fetched.keys if k.fingerprint in wanted]
            if len(confirmed) != len(wanted):
                raise CommandError("A fingerprint given is not one of the partner's published keys: nothing pinned.")
            partner = register_partner(
                actor=CLI_ACTOR, base_url=options["base_url"], confirmed_key_ids=confirmed, language=options["language"]
            )
        except (NetworkError, ReferralError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Registered {partner.code} with {len(confirmed)} pinned key(s).")
