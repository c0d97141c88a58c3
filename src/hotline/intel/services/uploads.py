"""List files uploaded on the staff page: stored for the worker, imported by a background task that keeps its
progress on the ListImport row (the page reloads itself to show it), then deleted."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core import audit
from hotline.intel import conf
from hotline.intel.core import HashType, parse_hash_type
from hotline.intel.errors import IntelError
from hotline.intel.models import HashList, ImportState, KnownUrlList, ListImport
from hotline.intel.services.imports import ERRORS_KEPT, FORMATS, count_lines, import_hash_file

logger = logging.getLogger("hotline.intel")
PROGRESS_EVERY = 50_000  # rows between progress writes (each is one small UPDATE, committed)


def file_format_of(name: str, given: str = "") -> str:
    fmt = (given or Path(name).suffix.lstrip(".")).lower()
    if fmt == "txt":
        fmt = "csv"
    if fmt not in FORMATS:
        raise IntelError(_("The file must be CSV or JSON (name it .csv or .json, or choose the format)."))
    return fmt


def queue_upload(
    *,
    upload: UploadedFile,
    actor: Any,
    hash_list: HashList | None = None,
    url_list: KnownUrlList | None = None,
    file_format: str = "",
    hash_type: str = "",
) -> ListImport:
    """Keep an uploaded list file for the worker and queue its import (audited); the page then follows it."""
    if (hash_list is None) == (url_list is None):
        raise ValueError("an upload goes into exactly one list")
    if upload.size is not None and upload.size > conf.import_max_mb() * 1024 * 1024:
        raise IntelError(_("The file is larger than %(mb)s MB.") % {"mb": conf.import_max_mb()})
    fmt = file_format_of(upload.name or "", file_format)
    if hash_type:
        parse_hash_type(hash_type)
    directory = conf.import_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / f"{uuid.uuid4().hex}.{fmt}"
    with stored.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    with transaction.atomic():
        job = ListImport.objects.create(
            hash_list=hash_list,
            url_list=url_list,
            file_name=(upload.name or "")[:200],
            file_format=fmt,
            default_type=hash_type,
            stored_file=str(stored),
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="intel.import_queued",
            object_type="list_import",
            object_id=job.pk,
            details={"hash_list": hash_list.pk if hash_list else None, "url_list": url_list.pk if url_list else None},
        )
        from hotline.intel import tasks

        tasks.run_list_import.enqueue(job.pk)
    return job


def _progress_writer(job_id: int) -> Any:
    last = {"rows": -PROGRESS_EVERY}

    def progress(phase: str, done: int, total: int | None) -> None:
        if done - last["rows"] < PROGRESS_EVERY and done != total:
            return
        last["rows"] = done
        # Outside the import's transaction while checking (so the page sees it); during the write the
        # page says "writing" and the row shows the count once the transaction commits.
        if not transaction.get_connection().in_atomic_block:
            ListImport.objects.filter(pk=job_id).update(rows_read=done, rows_total=total)

    return progress


def run_import(*, import_id: int) -> str:
    """The worker's task: import the stored file of a ListImport, record the outcome, delete the file."""
    job = ListImport.objects.filter(pk=import_id).select_related("hash_list", "url_list").first()
    if job is None or job.state != ImportState.QUEUED:
        return "gone" if job is None else job.state
    path = Path(job.stored_file)
    ListImport.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, started_at=timezone.now())
    try:
        if job.hash_list is not None:
            total = count_lines(path)
            ListImport.objects.filter(pk=job.pk).update(rows_total=total)
            hash_type: HashType | None = parse_hash_type(job.default_type) if job.default_type else None
            outcome = import_hash_file(
                hash_list=job.hash_list,
                path=path,
                file_format=job.file_format,
                hash_type=hash_type,
                actor=job.created_by or "system",
                progress=_progress_writer(job.pk),
                import_id=job.pk,
            )
            rows, added, seen, error_count, errors = (
                outcome.rows,
                outcome.added,
                outcome.seen_again,
                outcome.error_count,
                outcome.errors,
            )
        else:
            from hotline.intel.services.known_urls import import_url_file

            assert job.url_list is not None
            url_outcome = import_url_file(
                url_list=job.url_list,
                path=path,
                actor=job.created_by or "system",
                import_id=job.pk,
                progress=_progress_writer(job.pk),
            )
            rows, added, seen, error_count, errors = (
                url_outcome.rows,
                url_outcome.added,
                url_outcome.seen_again,
                url_outcome.error_count,
                url_outcome.errors,
            )
    except Exception as error:  # the import rolled back; the row says so and the file goes
        logger.warning("List import %s failed (%s); nothing was imported.", job.pk, type(error).__name__)
        ListImport.objects.filter(pk=job.pk).update(state=ImportState.FAILED, finished_at=timezone.now())
        path.unlink(missing_ok=True)
        return ImportState.FAILED
    state = ImportState.REFUSED if error_count else ImportState.DONE
    ListImport.objects.filter(pk=job.pk).update(
        state=state,
        rows_read=rows + error_count,
        added=added,
        seen_again=seen,
        error_count=error_count,
        errors=[{"line": e.line, "code": e.code, "message": e.message} for e in errors[:ERRORS_KEPT]],
        finished_at=timezone.now(),
        stored_file="",
    )
    path.unlink(missing_ok=True)
    return state
