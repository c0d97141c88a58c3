"""Fixtures of the intel app's tests: the PDQ index file in the test's own directory, a fresh index per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _intel_files(settings: Any, tmp_path: Path) -> Iterator[None]:
    from hotline.intel.services import index

    settings.HOTLINE_PDQ_INDEX_FILE = str(tmp_path / "intel" / "pdq.index")
    settings.HOTLINE_INTEL_IMPORT_DIR = str(tmp_path / "intel" / "imports")
    index.install(None)
    yield
    index.install(None)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
