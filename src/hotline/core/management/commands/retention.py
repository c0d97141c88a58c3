"""`manage.py retention`: run every retention policy now (what the hourly task does), or with --dry-run print what
each would erase, writing nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hotline.core import retention


class Command(BaseCommand):
    help = (
        "Erase or anonymise what every retention policy holds due (docs/data-retention.md). --dry-run prints the "
        "number of records each policy would take and writes nothing; a policy without a period says it keeps."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")
        parser.add_argument("--policy", action="append", default=[], help="Only this policy (repeatable).")

    def handle(self, *args: Any, dry_run: bool, policy: list[str], **options: Any) -> None:
        chosen = [p for p in retention.policies() if not policy or p.name in policy]
        unknown = sorted(set(policy) - {p.name for p in chosen})
        if unknown:
            names = ", ".join(p.name for p in retention.policies())
            self.stderr.write(f"No retention policy {', '.join(unknown)} (there are: {names}).")
            raise SystemExit(2)
        width = max(len(p.name) for p in chosen)
        self.stdout.write(("Dry run: nothing is changed." if dry_run else "Retention run.") + "\n")
        for item in chosen:
            outcome = retention.run_policy(item, dry_run=dry_run)
            period = retention.describe_period(item)
            if outcome.kept:
                what = "keeps everything: no period set"
            elif dry_run:
                what = f"would take {outcome.count}: {item.action}"
            else:
                what = f"took {outcome.count} in {outcome.batches} batch(es): {item.action}"
            self.stdout.write(f"{item.name.ljust(width)}  {period:<48}  {what}")
