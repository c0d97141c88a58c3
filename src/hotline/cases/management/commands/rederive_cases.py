"""manage.py rederive_cases [--dry-run]: recompute what the URL rules derive from each case's URL
(canonical form, blind index, host, registered domain) after the rules or the Public Suffix List
changed (docs/url-rules.md). Audited; --dry-run writes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hotline.cases.services import rederive_cases
from hotline.cases.suffixes import list_date


class Command(BaseCommand):
    help = "Recompute canonical URLs and registered domains of cases with today's rules (--dry-run writes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count and show what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = rederive_cases(dry_run=options["dry_run"])
        self.stdout.write(f"Public Suffix List of {list_date() or 'unknown date'}.")
        for case_id, what, change in result.examples:
            # Registered domains and hosts are shown; a canonical URL never is (it may be reported material).
            self.stdout.write(f"  case {case_id}: {'canonical URL changed' if what == 'url' else what + ' ' + change}")
        for case_id, other in result.collisions:
            self.stdout.write(f"  case {case_id} is now the same URL as case {other}: left as it is, merge by hand")
        verb = "would change" if result.dry_run else "changed"
        self.stdout.write(
            f"{result.examined} URL cases examined, {result.changed} {verb} "
            f"({result.urls_changed} canonical URLs), {len(result.collisions)} to merge by hand."
        )
