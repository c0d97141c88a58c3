"""Hands each conformance suite's agreement figure to the report of the test that found it; the root
conftest prints them after the run (also from pytest-xdist workers, whose reports reach the main process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conformance import FIGURES


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    while FIGURES:
        report.user_properties.append(("conformance_figure", FIGURES.pop(0)))
