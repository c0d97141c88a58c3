"""The intel app's refusals (core.errors): a list name taken, a file that cannot be imported, a match gone."""

from __future__ import annotations

from hotline.core.errors import Conflict, DomainError, NotFound


class IntelError(DomainError):
    """A list or import action the rules refuse (400)."""


class ListNameTaken(Conflict):
    """Another list already has this name (409)."""


class MatchGone(NotFound):
    """The match (or its case) no longer exists (404)."""
