"""The PDQ near-match index every process searches: built by the worker from the enabled lists' PDQ entries,
saved to one file (written beside it, then renamed over it), and loaded by each web or worker process, which then
replaces its one reference to the index. A search holds the reference it started with, so it sees the old index
or the new one, never half of one."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction

from hotline.core import audit
from hotline.intel import conf
from hotline.intel.core.pdqindex import PdqIndex, PdqMatch, pack_pdq_hex
from hotline.intel.models import HashEntry

logger = logging.getLogger("hotline.intel")

RECHECK_SECONDS = 2.0  # how often a process looks whether the worker has written a newer file
BUILD_CHUNK = 200_000


@dataclass(frozen=True)
class _Loaded:
    index: PdqIndex | None
    stamp: tuple[int, int, int] | None  # (inode, mtime ns, size) of the file it came from
    checked: float


_current = _Loaded(index=None, stamp=None, checked=-1e9)
_load_lock = threading.Lock()  # one process loads a new file once; searches never wait on it


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def current_index(*, force: bool = False) -> PdqIndex | None:
    """The newest index this process has loaded (None before the first build). Looks at the file at most every
    RECHECK_SECONDS; a new file is loaded completely before the reference is replaced."""
    global _current
    state = _current  # one read: everything below works on this state
    now = time.monotonic()
    if not force and now - state.checked < RECHECK_SECONDS:
        return state.index
    path = conf.pdq_index_file()
    stamp = _stamp(path)
    if stamp == state.stamp:
        _current = _Loaded(state.index, state.stamp, now)
        return state.index
    with _load_lock:
        state = _current
        if stamp is None:
            _current = _Loaded(None, None, now)
            return None
        if stamp == state.stamp:
            return state.index
        try:
            loaded = PdqIndex.load(path)
        except (OSError, ValueError):
            # A damaged file is never served: keep the index we have, and say so (no hash in the log).
            logger.warning("The PDQ index file could not be loaded; the previous index stays in use.")
            _current = _Loaded(state.index, state.stamp, now)
            return state.index
        _current = _Loaded(loaded, stamp, now)  # the swap: one assignment
        return loaded


def install(index: PdqIndex | None) -> None:
    """Replace this process's index (tests, and the worker right after a build) in one assignment."""
    global _current
    path = conf.pdq_index_file()
    _current = _Loaded(index, _stamp(path), time.monotonic())


def search_pdq(hex_value: str, threshold: int | None = None) -> list[PdqMatch]:
    """Entries (HashEntry ids) within `threshold` (default HOTLINE_PDQ_THRESHOLD) of a PDQ hash."""
    index = current_index()
    if index is None or len(index) == 0:
        return []
    return index.search(hex_value, conf.pdq_threshold() if threshold is None else threshold)


def build_index(*, path: Path | None = None) -> PdqIndex:
    """Build the index of every enabled list's PDQ entries and write it to the index file (atomically)."""
    rows = HashEntry.objects.filter(hash_type="pdq", hash_list__enabled=True).order_by("pk")
    ids: list[int] = []
    values: list[str] = []
    for pk, value in rows.values_list("pk", "value").iterator(chunk_size=BUILD_CHUNK):
        ids.append(pk)
        values.append(value)
    codes = pack_pdq_hex(values) if values else np.zeros((0, 32), dtype=np.uint8)
    index = PdqIndex.build(codes, ids=np.asarray(ids, dtype=np.int64), copy=False)
    target = path or conf.pdq_index_file()
    index.save(target)
    with transaction.atomic():
        audit.record(
            actor="system",
            action="intel.pdq_index.built",
            details={"hashes": len(index), "seconds": round(index.build_seconds, 3)},
        )
    return index


def rebuild_and_install() -> int:
    """The worker's task: build, save, and use the new index at once in this process. Returns its size."""
    index = build_index()
    install(index)
    return len(index)


def queue_index_rebuild() -> None:
    """Ask the worker for a new index, in the caller's transaction (the change and the request commit together)."""
    from hotline.intel import tasks

    tasks.rebuild_pdq_index.enqueue()
