"""Pure casework rules, tested without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from hotline.cases.rules import (
    Interval,
    QueueKey,
    add_channel,
    channel_list,
    decode_cursor,
    exposure_level,
    exposure_seconds,
    needs_four_eyes,
    parse_overdue_hours,
    parse_verdict_list,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CAP = timedelta(minutes=30)


def test_exposure_counts_closed_sessions() -> None:
    sessions = [
        Interval(T0, T0 + timedelta(minutes=10)),
        Interval(T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=5)),
    ]
    assert exposure_seconds(sessions, now=T0 + timedelta(hours=3), cap=CAP, since=T0 - timedelta(hours=8)) == 15 * 60


def test_an_open_or_forgotten_session_counts_at_most_the_cap() -> None:
    open_session = [Interval(T0, None)]
    assert exposure_seconds(open_session, now=T0 + timedelta(minutes=5), cap=CAP, since=T0) == 5 * 60
    assert exposure_seconds(open_session, now=T0 + timedelta(hours=4), cap=CAP, since=T0) == 30 * 60
    ended_late = [Interval(T0, T0 + timedelta(hours=2))]
    assert exposure_seconds(ended_late, now=T0 + timedelta(hours=3), cap=CAP, since=T0) == 30 * 60


def test_exposure_is_counted_from_the_start_of_the_day() -> None:
    before_midnight = [Interval(T0 - timedelta(minutes=20), T0 + timedelta(minutes=5))]
    assert exposure_seconds(before_midnight, now=T0 + timedelta(hours=1), cap=CAP, since=T0) == 5 * 60


def test_exposure_levels() -> None:
    assert exposure_level(minutes=0, limit=120) == "ok"
    assert exposure_level(minutes=95, limit=120) == "ok"
    assert exposure_level(minutes=96, limit=120) == "near"
    assert exposure_level(minutes=120, limit=120) == "over"


def test_four_eyes_list() -> None:
    verdicts = parse_verdict_list(" csam_national , harmful_not_illegal ,")
    assert verdicts == {"csam_national", "harmful_not_illegal"}
    assert needs_four_eyes("csam_national", verdicts) and not needs_four_eyes("csam_baseline", verdicts)
    assert parse_verdict_list("") == frozenset()
    with pytest.raises(ImproperlyConfigured):
        parse_verdict_list("csam")


def test_overdue_hours() -> None:
    assert parse_overdue_hours("triaged=72, assessed=48") == {"triaged": 72, "assessed": 48}
    for bad in ["closed=1", "triaged", "triaged=x", "triaged=0", "nothing=3"]:
        with pytest.raises(ImproperlyConfigured):
            parse_overdue_hours(bad)


def test_channels() -> None:
    value = add_channel(add_channel(add_channel("", "web"), "api"), "web")
    assert value == ",api,web," and channel_list(value) == ["api", "web"]


@given(
    priority=st.integers(min_value=-1000, max_value=1000),
    micros=st.integers(min_value=0, max_value=4_000_000_000_000_000),
    case_id=st.integers(min_value=1, max_value=2**62),
)
def test_cursor_round_trips(priority: int, micros: int, case_id: int) -> None:
    created = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    key = QueueKey(-priority, created, case_id)
    assert decode_cursor(key.encode()) == key


def test_queue_key_orders_priority_then_age_then_id() -> None:
    keys = [
        QueueKey(-5, T0, 3),
        QueueKey(-9, T0 + timedelta(hours=1), 9),
        QueueKey(-5, T0, 1),
        QueueKey(-5, T0 - timedelta(1), 7),
    ]
    assert [k.case_id for k in sorted(keys)] == [9, 7, 1, 3]
