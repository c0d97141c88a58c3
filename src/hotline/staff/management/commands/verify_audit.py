"""`manage.py verify_audit`: check the audit log's hash chain; exit 1 at the first broken entry."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from hotline.staff.audit import verify_chain
from hotline.staff.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the audit log hash chain. Prints OK, or the first broken entry and exits 1."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = verify_chain()
        if broken is None:
            newest = AuditEntry.objects.order_by("-seq").values_list("hash", flat=True).first() or "-"
            self.stdout.write(f"OK: {checked} audit entries, chain intact. Newest hash: {newest}")
            return
        self.stderr.write(f"BROKEN at entry {broken.seq}: {broken.reason} ({checked} entries before it are intact).")
        sys.exit(1)
