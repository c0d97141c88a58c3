"""Domain errors of intake (re-exported by intake.services, where callers have always found them).

The partner API answers each with an RFC 9457 problem (intake/api.py); the public pages show the
problems next to the form's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from hotline.core.errors import DomainError, PermissionRefused, RateLimited

if TYPE_CHECKING:
    from hotline.intake.ratelimit import Decision


class IntakeError(DomainError):
    """A request intake cannot accept; the message is for people (400)."""


class ReportRejected(IntakeError):
    """The report is not valid. `problems` maps field names (urls.<i> for URLs) to messages (422)."""

    status = 422

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class BatchRejected(IntakeError):
    """Items of a batch are not valid: {index: {field: message}}. Nothing was stored (422)."""

    status = 422

    def __init__(self, problems: dict[int, dict[str, str]]):
        super().__init__(f"{len(problems)} report(s) in the batch are not valid")
        self.problems = problems


class TooManyRequests(IntakeError, RateLimited):
    """A rate limit was reached; nothing was stored (429, Retry-After from the decision)."""

    def __init__(self, decision: Decision):
        super().__init__(f"rate limit of {decision.limit} reached")
        self.decision = decision
        self.retry_after = decision.retry_after


class KeyRevoked(IntakeError, PermissionRefused):
    """The partner key was revoked (found in the same write that would have stored the report) (403)."""

    default_message = _("This API key has been revoked. Ask the hotline for a new key.")
    code = "revoked"


class IdempotencyConflict(IntakeError):
    """The Idempotency-Key was used before for a different request (422: the request itself is wrong)."""

    status = 422
    code = "idempotency-key-reused"
