"""What the insights results part registers at start-up."""

from __future__ import annotations


def ready() -> None:
    return None
