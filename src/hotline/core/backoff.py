"""The one exponential backoff: how long to wait after a failed attempt (tracing, referrals, campaigns)."""

from __future__ import annotations

import random
from datetime import timedelta

# 2**62 times any base is far beyond every cap: larger exponents change nothing but could overflow.
_MAX_EXPONENT = 62


def backoff(
    attempt: int, *, base: timedelta, cap: timedelta, jitter: float = 0.0, rng: random.Random | None = None
) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based): base, 2·base, 4·base, … never above `cap`.

    `jitter` (0 to 1) spreads the wait over [wait·(1 − jitter), wait], so many retries that failed
    together do not all come back at the same moment; the cap still holds. Raises ValueError for an
    attempt below 1 or a jitter outside 0..1.
    """
    if attempt < 1:
        raise ValueError("attempts start at 1")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError("jitter is a fraction from 0 to 1")
    seconds = min(base.total_seconds() * 2.0 ** min(attempt - 1, _MAX_EXPONENT), cap.total_seconds())
    if jitter:
        seconds *= 1.0 - jitter * (rng or random).random()
    return timedelta(seconds=seconds)
