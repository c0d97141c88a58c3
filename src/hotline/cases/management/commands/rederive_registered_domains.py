"""manage.py rederive_registered_domains [--dry-run]: recompute cases' registered domains after the
Public Suffix List changed (a newer publicsuffixlist package); see docs/url-rules.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hotline.cases.services import rederive_registered_domains
from hotline.cases.suffixes import list_date


class Command(BaseCommand):
    help = "Recompute Case.registered_domain with the installed Public Suffix List (audited; --dry-run writes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count and show what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = rederive_registered_domains(dry_run=options["dry_run"])
        self.stdout.write(f"Public Suffix List of {list_date() or 'unknown date'}.")
        for case_id, before, after in result.examples:
            self.stdout.write(f"  case {case_id}: {before or '(none)'} -> {after or '(none)'}")
        verb = "would change" if result.dry_run else "changed"
        self.stdout.write(f"{result.examined} cases with a host examined, {result.changed} {verb}.")
