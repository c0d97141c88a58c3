"""Pure rules of the exchange: replay window, idempotency, order of status updates, retry schedule."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from .errors import CreatedInFuture, CreatedTooOld, MessageIdConflict, RecipientMismatch, SenderMismatch

# --- replay window --------------------------------------------------------------------------------
# A signature is accepted within five minutes of its `created` time either way: wide enough for clocks
# kept by NTP and a slow network, narrow enough that a captured request is useless soon after.
# Inside the window a replay is caught by idempotency (same sender and message id).
DEFAULT_REPLAY_WINDOW = timedelta(seconds=300)


def check_signature_time(
    created: datetime, *, now: datetime, window: timedelta = DEFAULT_REPLAY_WINDOW, expires: datetime | None = None
) -> None:
    """Raise CreatedTooOld / CreatedInFuture unless `created` lies within `window` of `now` (and an
    `expires`, if the signer set one, has not passed)."""
    if now.tzinfo is None or created.tzinfo is None:
        raise ValueError("Compare aware datetimes only.")
    if created < now - window:
        raise CreatedTooOld(f"The signature was created more than {int(window.total_seconds())} s ago.")
    if created > now + window:
        raise CreatedInFuture(f"The signature was created more than {int(window.total_seconds())} s from now.")
    if expires is not None and expires < now:
        raise CreatedTooOld("The signature's expires time has passed.")


# --- who sent it, to whom -------------------------------------------------------------------------
def check_sender(envelope_sender: str, key_owner: str) -> None:
    """The envelope's sender must be the partner whose pinned key signed the request."""
    if envelope_sender != key_owner:
        raise SenderMismatch("The envelope's sender is not the partner that owns the signing key.")


def check_recipient(envelope_recipient: str, own_code: str) -> None:
    if envelope_recipient != own_code:
        raise RecipientMismatch("The envelope is addressed to another hotline code.")


# --- idempotency ----------------------------------------------------------------------------------
class IdempotencyKey(NamedTuple):
    """The inbox applies a message once per (sender, message id): the unique key of its table."""

    sender: str
    message_id: UUID


def idempotency_key(sender: str, message_id: UUID | str) -> IdempotencyKey:
    return IdempotencyKey(sender=sender, message_id=message_id if isinstance(message_id, UUID) else UUID(message_id))


class InboxDecision(enum.Enum):
    NEW = "new"  # apply it, then acknowledge
    DUPLICATE = "duplicate"  # the same message again (a retry after a lost ack): acknowledge, apply nothing


def decide_delivery(*, stored_body_sha256: str | None, body_sha256: str) -> InboxDecision:
    """What the inbox does with a verified message, given the body hash it stored for the same key (or
    None). A retry sends the very bytes of the first attempt, so the same id with another body is not a
    retry: it is refused (MessageIdConflict) rather than letting the second version go unnoticed."""
    if stored_body_sha256 is None:
        return InboxDecision.NEW
    if stored_body_sha256 == body_sha256:
        return InboxDecision.DUPLICATE
    raise MessageIdConflict("This sender already used the message id for a message with another body.")


# --- order of status updates ----------------------------------------------------------------------
# Rank breaks a tie between two statuses with the same time: the later step in a case's life wins.
STATUS_RANK: dict[str, int] = {
    "received": 0,
    "in_assessment": 1,
    "assessed_illegal": 2,
    "assessed_not_illegal": 2,
    "referred_to_police": 3,
    "notice_sent_to_host": 4,
    "content_removed": 5,
    "not_removed": 5,
    "closed": 6,
}
STATUSES = tuple(STATUS_RANK)


@dataclass(frozen=True)
class StatusPoint:
    """One status a partner reported for one forward: what, when it took effect, in which message."""

    status: str
    status_at: datetime
    message_id: UUID

    def order_key(self) -> tuple[datetime, int, str]:
        # The message id only makes the order total (two different statuses with the same time and
        # rank); it carries no meaning, but every instance picks the same winner.
        return (self.status_at, STATUS_RANK[self.status], str(self.message_id))


def supersedes(candidate: StatusPoint, current: StatusPoint | None) -> bool:
    """Whether `candidate` becomes the forward's current status. An older status (arriving late) never
    overwrites a newer one; it still belongs in the timeline."""
    return current is None or candidate.order_key() > current.order_key()


def current_status(points: Iterable[StatusPoint]) -> StatusPoint | None:
    """The current status among all received, whatever order they arrived in."""
    return max(points, key=StatusPoint.order_key, default=None)


# --- retries --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """The sender's schedule, for hotline.core.backoff: the n-th retry waits min(cap, base * factor**(n-1)),
    of which a random share up to `jitter` is taken off so partners coming back are not hit all at once."""

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=1)
    jitter: float = 0.5
    max_attempts: int = 20

    def nominal_delay(self, retry: int) -> timedelta:
        """The delay before retry number `retry` (1 = after the first failed attempt), before jitter."""
        if retry < 1:
            raise ValueError("Retries count from 1.")
        seconds = min(self.cap.total_seconds(), self.base.total_seconds() * self.factor ** (retry - 1))
        return timedelta(seconds=seconds)


DEFAULT_RETRY_POLICY = RetryPolicy()
_RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def is_retryable(status: int | None) -> bool:
    """Whether a failed attempt is tried again: no answer (None), a timeout, rate limit or server error.
    Any other 4xx is the sender's fault and sending the same bytes again cannot help: the message fails
    at once, with the receiver's problem shown."""
    return status is None or status in _RETRYABLE_STATUSES or status >= 500
