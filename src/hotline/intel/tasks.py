"""Background work of intel: one small task per duty (ids in, never data)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@task()
def rebuild_pdq_index() -> int:
    """Rebuild the PDQ near-match index from the enabled lists and swap it in (services/index.py)."""
    from hotline.intel.services import index

    return index.rebuild_and_install()


@task()
def run_list_import(import_id: int) -> str:
    """Import an uploaded list file (a ListImport row), with progress on the row."""
    from hotline.intel.services import uploads

    return uploads.run_import(import_id=import_id)


@periodic(every=timedelta(minutes=15))
@task()
def publish_url_list_version() -> int | None:
    """A new version of the live illegal URL list when the set changed (services/url_feed.py)."""
    from hotline.intel.services import url_feed

    version = url_feed.publish_url_list_version()
    return version.number if version else None
