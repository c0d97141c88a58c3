"""Domain errors of campaigns: each carries a message for people and the HTTP status views answer with."""

from __future__ import annotations


class CampaignError(Exception):
    """A refused change; the message is for people (translated)."""

    status = 400

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(CampaignError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class PetitionNotOpen(CampaignError):
    status = 409


class LinkInvalid(CampaignError):
    status = 400


class LinkExpired(CampaignError):
    status = 410


class LinkUsed(CampaignError):
    status = 409


class NotAllowed(CampaignError):
    status = 409


class RateLimited(CampaignError):
    status = 429
