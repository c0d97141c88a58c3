"""The guard the campaigns services that take `**fields` (petitions, newsletter issues) put on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def reject_unknown_fields(fields: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    """A caller passing a field the service does not edit is a programming error, not a user's."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {what} fields: {sorted(unknown)}")
