"""The referral delivery state machine and the retry schedule: pure functions, no database."""

from __future__ import annotations

from datetime import timedelta

PLANNED = "planned"
SENT = "sent"
DELIVERED = "delivered"
ACKNOWLEDGED = "acknowledged"
FAILED = "failed"
CONTENT_REMOVED = "content_removed"
NOT_REMOVED = "not_removed"

_ENDINGS = frozenset({CONTENT_REMOVED, NOT_REMOVED})

# Which state may follow which. `failed` can go back to a sent state when a retry succeeds
# (to the furthest state reached before: a repeated notice may fail after an acknowledgement).
TRANSITIONS: dict[str, frozenset[str]] = {
    PLANNED: frozenset({SENT, FAILED}) | _ENDINGS,
    SENT: frozenset({DELIVERED, ACKNOWLEDGED, FAILED}) | _ENDINGS,
    DELIVERED: frozenset({ACKNOWLEDGED, FAILED}) | _ENDINGS,
    ACKNOWLEDGED: frozenset({FAILED}) | _ENDINGS,
    FAILED: frozenset({SENT, DELIVERED, ACKNOWLEDGED, FAILED}) | _ENDINGS,
    CONTENT_REMOVED: frozenset(),
    NOT_REMOVED: frozenset(),
}


def can_move(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def state_after_success(*, delivered: bool, acknowledged: bool) -> str:
    """After a successful (re)delivery: back to the furthest state reached, never past it."""
    if acknowledged:
        return ACKNOWLEDGED
    if delivered:
        return DELIVERED
    return SENT


def retry_delay(*, failures: int, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential backoff: base, 2*base, 4*base, ... capped (failures counts the one just made)."""
    exponent = max(0, failures - 1)
    if exponent > 30:
        return cap
    return min(cap, base * (2**exponent))


def should_retry(*, failures: int, max_failures: int) -> bool:
    return failures < max_failures
