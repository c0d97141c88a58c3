"""Settings of the intel app (see docs/operating.md and docs/intel.md), read through hotline.core.conf."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from hotline.core import conf
from hotline.intel.core import PDQ_DEFAULT_THRESHOLD


def _var_dir() -> Path:
    return Path(getattr(settings, "VAR_DIR", "var")) / "intel"


def pdq_threshold() -> int:
    """HOTLINE_PDQ_THRESHOLD (default 31, 0-128): the largest Hamming distance at which a PDQ hash a report
    carries matches a listed one (31 is the distance ThreatExchange and Meta's HMA use)."""
    return conf.integer("HOTLINE_PDQ_THRESHOLD", PDQ_DEFAULT_THRESHOLD, minimum=0, maximum=128)


def pdq_index_file() -> Path:
    """HOTLINE_PDQ_INDEX_FILE (default var/intel/pdq.index): where the worker writes the PDQ near-match index
    and every web and worker process reads it from (a shared disk when they run on several machines)."""
    return conf.path("HOTLINE_PDQ_INDEX_FILE", _var_dir() / "pdq.index")


def import_dir() -> Path:
    """HOTLINE_INTEL_IMPORT_DIR (default var/intel/imports): uploaded list files wait here for the worker
    (deleted when imported or refused)."""
    return conf.path("HOTLINE_INTEL_IMPORT_DIR", _var_dir() / "imports")


def import_max_mb() -> int:
    """HOTLINE_INTEL_IMPORT_MAX_MB (default 200, 1-4096): the largest list file the upload page accepts."""
    return conf.integer("HOTLINE_INTEL_IMPORT_MAX_MB", 200, minimum=1, maximum=4096)


ACCESSORS: tuple[conf.Accessor, ...] = (pdq_threshold, pdq_index_file, import_dir, import_max_mb)
