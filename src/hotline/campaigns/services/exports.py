"""Hand-over exports as records: requested by a campaigner, built in the worker with visible progress,
downloaded, deleted; each step audited. The files themselves are written by `export_files`."""

from __future__ import annotations

import logging
import secrets
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.campaigns import export_files, rules, tasks
from hotline.campaigns.errors import InvalidInput, NotAllowed
from hotline.campaigns.models import ExportKind, ExportState, Petition, PetitionExport
from hotline.core import audit
from hotline.staff.models import StaffUser

logger = logging.getLogger("hotline.campaigns")

PROGRESS_EVERY_SECONDS = 0.5


def request_export(*, petition: Petition, kind: str, actor: StaffUser | str, language: str = "sv") -> PetitionExport:
    if kind not in ExportKind.values:
        raise InvalidInput({"kind": _("Choose PDF or CSV.")})
    with transaction.atomic():
        export = PetitionExport.objects.create(
            petition=petition,
            kind=kind,
            requested_by=actor if isinstance(actor, StaffUser) else None,
            language=rules.supported_language(language),
        )
        export.file_name = f"petition-{petition.pk}-export-{export.pk}-{secrets.token_hex(8)}.{kind}"
        export.save(update_fields=["file_name"])
        tasks.build_petition_export.enqueue(export.pk)
        audit.record(
            actor=actor,
            action="petition.export_requested",
            object_type="petition_export",
            object_id=export.pk,
            details={"petition": petition.pk, "kind": kind},
        )
    return export


class _ProgressWriter:
    """Writes progress to the export row at most twice a second (one small UPDATE, autocommit)."""

    def __init__(self, export_id: int):
        self.export_id = export_id
        self.last = 0.0
        self.value = -1

    def __call__(self, percent: int) -> None:
        now = time.monotonic()
        if percent != self.value and (now - self.last >= PROGRESS_EVERY_SECONDS or percent >= 100):
            PetitionExport.objects.filter(pk=self.export_id).update(progress=min(99, percent))
            self.last, self.value = now, percent


def run_export(*, export_id: int) -> PetitionExport | None:
    """Make the export file (task body). Idempotent: a finished export is left alone, a crashed one redone."""
    with transaction.atomic():
        export = PetitionExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.state in (ExportState.DONE, ExportState.DELETED):
            return export
        export.state = ExportState.RUNNING
        export.started_at = timezone.now()
        export.progress = 0
        export.save(update_fields=["state", "started_at", "progress"])
    try:
        result = export_files.build(export, progress=_ProgressWriter(export.pk))
    except Exception as exc:
        logger.error("Petition export %s failed (%s).", export_id, type(exc).__name__)  # never names or emails
        with transaction.atomic():
            PetitionExport.objects.filter(pk=export_id).update(
                state=ExportState.FAILED, error=type(exc).__name__[:500], finished_at=timezone.now()
            )
            audit.record(
                actor=audit.SYSTEM,
                action="petition.export_failed",
                object_type="petition_export",
                object_id=export_id,
                details={"error": type(exc).__name__},
            )
        return PetitionExport.objects.get(pk=export_id)
    with transaction.atomic():
        PetitionExport.objects.filter(pk=export_id).update(
            state=ExportState.DONE,
            progress=100,
            rows=result.rows,
            signature_count=result.rows,
            size=result.size,
            finished_at=timezone.now(),
        )
        audit.record(
            actor=audit.SYSTEM,
            action="petition.export_built",
            object_type="petition_export",
            object_id=export_id,
            details={"petition": export.petition_id, "kind": export.kind, "rows": result.rows},
        )
    return PetitionExport.objects.get(pk=export_id)


def record_export_download(*, export: PetitionExport, actor: StaffUser) -> None:
    """Audit that a campaigner took a copy of the signers' names."""
    if export.state != ExportState.DONE:
        raise NotAllowed(_("This export is not ready."))
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="petition.export_downloaded",
            object_type="petition_export",
            object_id=export.pk,
            details={"petition": export.petition_id, "kind": export.kind, "rows": export.rows},
        )


def delete_export(*, export: PetitionExport, actor: StaffUser | str) -> None:
    """Mark the export deleted; its file goes once that is committed."""
    with transaction.atomic():
        PetitionExport.objects.filter(pk=export.pk).update(state=ExportState.DELETED, progress=0)
        audit.record(
            actor=actor,
            action="petition.export_deleted",
            object_type="petition_export",
            object_id=export.pk,
            details={"petition": export.petition_id},
        )
        transaction.on_commit(lambda: export_files.remove_file(export))
