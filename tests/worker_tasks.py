"""Tasks used by tests/test_worker.py (importable by a real worker process)."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def interruptible_marker(directory: str) -> str:
    """First run: mark 'started' and hang (the test kills the worker). Any later run: mark 'done'."""
    base = Path(directory)
    started = base / "started"
    if not started.exists():
        started.write_text("1")
        time.sleep(120)
    (base / "done").write_text("1")
    return "done"
