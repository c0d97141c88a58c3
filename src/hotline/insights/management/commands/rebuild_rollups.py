"""manage.py rebuild_rollups: make every statistics fact and day rollup again from the raw data, with progress."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from hotline.insights.services import rollups


class Command(BaseCommand):
    help = "Rebuild the statistics (case facts and day rollups) from the cases, reports, assessments and referrals."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-progress", action="store_true", help="plain lines instead of a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        bars: dict[str, tqdm[Any]] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if options["no_progress"]:
                if done == total:
                    self.stdout.write(f"{phase}: {done:,} of {total:,}")
                return
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.close()
                bar = bars[phase] = tqdm(
                    total=total, desc=phase, unit_scale=True, file=getattr(self.stderr, "_out", sys.stderr)
                )
            bar.total = total
            bar.update(done - bar.n)

        counted = rollups.rebuild(progress=progress, actor="manage.py rebuild_rollups")
        for bar in bars.values():
            bar.close()
        self.stdout.write(f"Rebuilt the statistics of {counted:,} cases (data version {rollups.data_version()}).")
