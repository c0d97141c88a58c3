"""manage.py import_hash_list LIST FILE: import a hash list file (CSV or JSON), all rows or none, with progress."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from hotline.intel.core import HashType, InvalidHash, parse_hash_type
from hotline.intel.errors import IntelError
from hotline.intel.models import HashList, ListClassification, TrustLevel
from hotline.intel.services import create_hash_list, import_hash_file
from hotline.intel.services.uploads import file_format_of

ACTOR = "command:import_hash_list"


class Command(BaseCommand):
    help = (
        "Import a hash list file (CSV or JSON) into a named list, created if it does not exist. Every bad row is "
        "reported by its line number; a file with any bad row imports nothing (exit status 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list", help="name of the hash list")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "json"], default="", help="default: from the file name")
        parser.add_argument("--type", default="", help="hash type of every row, for files without a type column")
        parser.add_argument("--source", default="", help="for a new list: who gave it")
        parser.add_argument("--trust", choices=TrustLevel.values, default=TrustLevel.UNVERIFIED)
        parser.add_argument(
            "--classification",
            choices=[c for c in ListClassification.values if c],
            default=None,
            help="for a new list: what a match says of the material (default: not classified)",
        )
        parser.add_argument("--no-progress", action="store_true", help="plain lines instead of a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            file_format = file_format_of(path.name, options["format"])
            hash_type: HashType | None = parse_hash_type(options["type"]) if options["type"] else None
        except (IntelError, InvalidHash) as error:
            raise CommandError(str(getattr(error, "message", error))) from error
        hash_list = HashList.objects.filter(name=options["list"]).first()
        if hash_list is None:
            hash_list = create_hash_list(
                name=options["list"],
                source=options["source"],
                trust_level=options["trust"],
                classification=options["classification"] or "",
                actor=ACTOR,
            )
            self.stdout.write(f"Created the list {hash_list.name!r}.")
        bars: dict[str, tqdm[Any]] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            if options["no_progress"]:
                self.stdout.write(f"{phase}: {done:,} of {total:,}" if total else f"{phase}: {done:,}")
                return
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.close()
                unit = "lines" if phase == "checking" else "rows"
                bar = bars[phase] = tqdm(
                    total=total, desc=phase, unit=unit, unit_scale=True, file=getattr(self.stderr, "_out", sys.stderr)
                )
            bar.update(done - bar.n)

        outcome = import_hash_file(
            hash_list=hash_list, path=path, file_format=file_format, hash_type=hash_type, actor=ACTOR, progress=progress
        )
        for bar in bars.values():
            bar.close()
        if outcome.refused:
            for bad in outcome.errors:
                self.stderr.write(f"line {bad.line}: {bad.message}")
            if outcome.error_count > len(outcome.errors):
                self.stderr.write(f"... and {outcome.error_count - len(outcome.errors):,} more bad rows.")
            raise CommandError(
                f"{outcome.error_count:,} bad rows: nothing was imported. Fix them and run the import again."
            )
        self.stdout.write(
            f"Imported {outcome.rows:,} rows into {hash_list.name!r}: {outcome.added:,} new, "
            f"{outcome.seen_again:,} already listed."
        )
