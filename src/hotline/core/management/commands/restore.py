"""`manage.py restore FILE`: check a backup whole, restore it into a new database, prove it, then swap it in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`. It is decrypted and checked (key, schema version, data "
        "keys), restored into a new database, compared table by table with the backup's manifest and its "
        "audit chain verified; only then does it replace the live database, which is kept beside it. Stop "
        "the web server and the workers first. --verify-only does all of it but the replacement (a drill)."
    )
    requires_system_checks: list[str] = []  # the live database may be gone: that is why one restores

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--verify-only", action="store_true", help="Restore into a scratch database, check it, drop it."
        )
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument(
            "--accept-broken-audit",
            action="store_true",
            help="Restore even though the backup's audit chain does not verify (it was broken when backed up).",
        )

    def handle(self, *args: Any, file: Path, verify_only: bool, interactive: bool, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        if not verify_only and interactive:
            answer = input(
                "This replaces the live database with the backup (the current one is kept beside it). The web "
                "server and the workers must be stopped. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was changed.")
        try:
            result = backup.restore_backup(
                file,
                verify_only=verify_only,
                accept_broken_audit=options["accept_broken_audit"],
                progress=self.stdout.write,
            )
        except backup.BackupFileError as exc:
            raise CommandError(f"Not restored: {exc}") from None
        what = "Verified (nothing replaced)" if verify_only else "Restored"
        self.stdout.write(
            f"{what}: {result.tables} tables, {result.rows:,} rows equal to the backup; audit chain of "
            f"{result.audit_entries:,} entries intact ({result.seconds:.1f} s)."
        )
        if result.kept:
            self.stdout.write(f"The database it replaced is kept as {result.kept}: remove it once you are satisfied.")
