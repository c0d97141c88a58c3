"""The one exponential backoff: doubling, the cap, huge attempt numbers, jitter within bounds."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hotline.core.backoff import backoff

BASE, CAP = timedelta(minutes=5), timedelta(hours=1)


def test_it_doubles_from_the_base_up_to_the_cap() -> None:
    assert [backoff(n, base=BASE, cap=CAP) for n in range(1, 8)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60, 60)
    ]


def test_huge_attempt_numbers_stay_at_the_cap_without_overflow() -> None:
    assert backoff(10_000, base=timedelta(days=365), cap=timedelta(days=3650)) == timedelta(days=3650)


def test_sub_second_bases_keep_their_precision() -> None:
    assert backoff(3, base=timedelta(milliseconds=250), cap=CAP) == timedelta(seconds=1)


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_start_at_one(attempt: int) -> None:
    with pytest.raises(ValueError):
        backoff(attempt, base=BASE, cap=CAP)


@pytest.mark.parametrize("jitter", [-0.1, 1.5])
def test_jitter_is_a_fraction(jitter: float) -> None:
    with pytest.raises(ValueError):
        backoff(1, base=BASE, cap=CAP, jitter=jitter)


def test_jitter_spreads_waits_below_the_plain_wait_and_never_above_the_cap() -> None:
    rng = random.Random(20260101)
    for attempt in range(1, 10):
        plain = backoff(attempt, base=BASE, cap=CAP)
        waits = [backoff(attempt, base=BASE, cap=CAP, jitter=0.25, rng=rng) for _ in range(200)]
        assert all(plain * 0.75 <= wait <= plain <= CAP for wait in waits)
        assert len(set(waits)) > 150  # spread out, not one value
    assert backoff(4, base=BASE, cap=CAP, jitter=0.0, rng=rng) == timedelta(minutes=40)


def test_the_same_seed_gives_the_same_waits() -> None:
    def waits(seed: int) -> list[timedelta]:
        rng = random.Random(seed)
        return [backoff(3, base=BASE, cap=CAP, jitter=0.5, rng=rng) for _ in range(5)]

    assert waits(7) == waits(7) != waits(8)
    assert len(set(waits(7))) == 5
