"""Writes of the intel app, one module per use case (every change audited in its transaction):

- lists.py: creating hash and known-URL lists, enabling and disabling them, the self-reported list
- imports.py: importing a hash list file (all rows or none), the bulk write
- known_urls.py: importing a known-URL list file
- uploads.py: files uploaded on the staff page, imported by a background task with progress
- index.py: the PDQ near-match index: built by the worker, swapped in by every process
- matching.py: matching at triage (cases.hooks.reports_triaged) and confirming a match from the case page
- url_feed.py: versions of Hotline's own list of live illegal URLs for internet providers
"""

from hotline.intel.services.imports import ImportOutcome, import_hash_file
from hotline.intel.services.index import build_index, current_index, queue_index_rebuild, search_pdq
from hotline.intel.services.known_urls import UrlImportOutcome, import_url_file
from hotline.intel.services.lists import (
    add_self_reported_hashes,
    create_hash_list,
    create_url_list,
    self_reported_list,
    set_hash_list_enabled,
    set_url_list_enabled,
)
from hotline.intel.services.matching import confirm_match, match_summary, match_triaged_cases, on_reports_triaged
from hotline.intel.services.uploads import queue_upload, run_import

__all__ = [
    "ImportOutcome",
    "UrlImportOutcome",
    "add_self_reported_hashes",
    "build_index",
    "confirm_match",
    "create_hash_list",
    "create_url_list",
    "current_index",
    "import_hash_file",
    "import_url_file",
    "match_summary",
    "match_triaged_cases",
    "on_reports_triaged",
    "queue_index_rebuild",
    "queue_upload",
    "run_import",
    "search_pdq",
    "self_reported_list",
    "set_hash_list_enabled",
    "set_url_list_enabled",
]
