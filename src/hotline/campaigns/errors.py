"""Domain errors of campaigns: each carries a message for people and the HTTP status views answer with."""

from __future__ import annotations

from hotline.core import errors
from hotline.core.errors import Conflict, DomainError


class CampaignError(DomainError):
    """A refused change; the message is for people (translated). 400 unless a subclass says otherwise."""


class InvalidInput(CampaignError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class PetitionNotOpen(CampaignError, Conflict):
    """The petition takes no signatures (409)."""


class LinkInvalid(CampaignError):
    """A token that does not verify (400)."""


class LinkExpired(CampaignError):
    """410: the link is gone for good (a new one comes by signing again)."""

    status = 410


class LinkUsed(CampaignError, Conflict):
    """A confirmation link used before (409)."""


class NotAllowed(CampaignError, Conflict):
    """Not in the petition's (or issue's) present state: 409."""


class RateLimited(CampaignError, errors.RateLimited):
    """429, with Retry-After when `retry_after` is given."""
