"""The referral delivery state machine and when retries stop: pure functions, no database (the wait
between retries is hotline.core.backoff)."""

from __future__ import annotations

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


def should_retry(*, failures: int, max_failures: int) -> bool:
    return failures < max_failures
