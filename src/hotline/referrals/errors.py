"""Domain errors of referrals (re-exported by referrals.services, where callers have always found them)."""

from __future__ import annotations

from hotline.core.errors import Conflict, DomainError, NotFound


class ReferralError(DomainError):
    """A referral change that is not allowed; the message is for people (400)."""


class StalePlan(ReferralError, Conflict):
    """The case or its assessment changed after the plan was shown (409)."""


class ReferralNotFound(ReferralError, NotFound):
    """No such referral (404)."""
