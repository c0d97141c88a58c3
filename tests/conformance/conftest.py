"""Prints each conformance suite's agreement figure at the end of the test run."""

from __future__ import annotations

from typing import Any

from tests.conformance import FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("conformance suites")
        for line in FIGURES:
            terminalreporter.write_line(line)
