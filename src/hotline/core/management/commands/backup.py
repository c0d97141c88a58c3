"""`manage.py backup`: an encrypted, checksummed backup of the database (docs/operating.md, Backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.core import backup, conf


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database (a consistent snapshot and its manifest) with "
        "HOTLINE_BACKUP_KEY, and its SHA-256 beside it. Without --output: a new file in HOTLINE_BACKUP_DIR, "
        "keeping the newest HOTLINE_BACKUP_KEEP there."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", type=Path, help="Write here (an existing file is never overwritten).")

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        target = output or backup.default_path()
        if target.exists():
            raise CommandError(f"{target} exists already: choose another name.")
        try:
            result = backup.make_backup(target)
        except backup.BackupFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backup written: {result.path} ({result.bytes:,} bytes; {result.tables} tables, {result.rows:,} rows; "
            f"{result.seconds:.1f} s).\nSHA-256 {result.sha256} (also in {result.path.name}.sha256)."
        )
        if output is None:
            for removed in backup.prune(target.parent, conf.backup_keep()):
                self.stdout.write(f"Removed an old backup: {removed.name}")
