"""Fixtures of the casework tests: reports as intake stores them, triaged with the real service
(builders in hotline.cases.factories)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hotline.cases import factories
from hotline.cases.models import Case, Report


@pytest.fixture
def report_factory(db: Any) -> Callable[..., Report]:
    return factories.store_report


@pytest.fixture
def triaged_case(db: Any) -> Callable[..., Case]:
    """triaged_case("https://files.example.test/a", **report_fields) -> the Case triage made for it."""
    return factories.triaged_case
