"""The pure rules: replay window, idempotency, order of status updates, retries, sender and recipient."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from hotline.network.protocol import (
    DEFAULT_REPLAY_WINDOW,
    DEFAULT_RETRY_POLICY,
    STATUSES,
    CreatedInFuture,
    CreatedTooOld,
    InboxDecision,
    MessageIdConflict,
    RecipientMismatch,
    SenderMismatch,
    StatusPoint,
    body_sha256,
    check_recipient,
    check_sender,
    check_signature_time,
    current_status,
    decide_delivery,
    idempotency_key,
    is_retryable,
    supersedes,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_the_default_replay_window_is_five_minutes_either_way():
    assert timedelta(minutes=5) == DEFAULT_REPLAY_WINDOW
    check_signature_time(NOW - DEFAULT_REPLAY_WINDOW, now=NOW)
    check_signature_time(NOW + DEFAULT_REPLAY_WINDOW, now=NOW)
    with pytest.raises(CreatedTooOld):
        check_signature_time(NOW - DEFAULT_REPLAY_WINDOW - timedelta(microseconds=1), now=NOW)
    with pytest.raises(CreatedInFuture):
        check_signature_time(NOW + DEFAULT_REPLAY_WINDOW + timedelta(microseconds=1), now=NOW)


def test_a_passed_expires_is_refused_even_inside_the_window():
    check_signature_time(NOW, now=NOW, expires=NOW)
    with pytest.raises(CreatedTooOld):
        check_signature_time(NOW, now=NOW, expires=NOW - timedelta(seconds=1))


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        check_signature_time(datetime(2026, 3, 2), now=NOW)


# --- idempotency -----------------------------------------------------------------------------------
def test_the_idempotency_key_is_sender_and_message_id():
    message_id = uuid4()
    assert idempotency_key("SE-ECPAT", str(message_id)) == idempotency_key("SE-ECPAT", message_id)
    assert idempotency_key("SE-ECPAT", message_id) != idempotency_key("NL-EXAMPLE", message_id)
    assert idempotency_key("SE-ECPAT", str(message_id).upper()).message_id == message_id


def test_a_first_delivery_is_new_and_a_retry_of_the_same_bytes_a_duplicate():
    body = b'{"id":"x"}'
    assert decide_delivery(stored_body_sha256=None, body_sha256=body_sha256(body)) is InboxDecision.NEW
    assert (
        decide_delivery(stored_body_sha256=body_sha256(body), body_sha256=body_sha256(body)) is InboxDecision.DUPLICATE
    )


def test_the_same_id_with_another_body_is_a_conflict():
    with pytest.raises(MessageIdConflict):
        decide_delivery(stored_body_sha256=body_sha256(b"first"), body_sha256=body_sha256(b"second"))


# --- order of status updates ------------------------------------------------------------------------
def point(status, minutes, message_id=None):
    return StatusPoint(status=status, status_at=NOW + timedelta(minutes=minutes), message_id=message_id or uuid4())


def test_every_protocol_status_has_a_rank():
    import json

    from hotline.network.protocol import schema_text

    schema = json.loads(schema_text("report.status"))
    assert list(STATUSES) == schema["properties"]["data"]["properties"]["status"]["enum"]


def test_a_later_status_wins_whatever_its_rank():
    removed = point("content_removed", 10)
    reopened = point("in_assessment", 20)
    assert supersedes(reopened, removed)
    assert current_status([reopened, removed]) == reopened


def test_an_older_status_arriving_late_never_overwrites_a_newer_one():
    removed = point("content_removed", 30)
    late = point("notice_sent_to_host", 10)
    assert not supersedes(late, removed)
    assert supersedes(removed, late)
    assert supersedes(late, None)


def test_equal_times_are_ordered_by_rank():
    received, assessed, closed = point("received", 0), point("assessed_illegal", 0), point("closed", 0)
    assert current_status([closed, received, assessed]) == closed
    assert supersedes(assessed, received) and not supersedes(received, assessed)


def test_equal_time_and_rank_still_give_one_winner_on_every_instance():
    a = point("assessed_illegal", 0, UUID("00000000-0000-4000-8000-000000000001"))
    b = point("assessed_not_illegal", 0, UUID("00000000-0000-4000-8000-000000000002"))
    assert current_status([a, b]) == current_status([b, a]) == b
    assert supersedes(b, a) and not supersedes(a, b)


def test_any_arrival_order_yields_the_same_current_status_and_applying_one_by_one_agrees():
    points = [
        point("received", 0),
        point("in_assessment", 5),
        point("assessed_illegal", 9),
        point("notice_sent_to_host", 9),
        point("content_removed", 60),
        point("closed", 60),
    ]
    expected = points[-1]
    for order in itertools.permutations(points):
        current = None
        for candidate in order:
            if supersedes(candidate, current):
                current = candidate
        assert current == expected
        assert current_status(order) == expected


def test_no_status_at_all():
    assert current_status([]) is None


# --- retries -------------------------------------------------------------------------------------------
def test_the_documented_retry_schedule():
    policy = DEFAULT_RETRY_POLICY
    delays = [policy.nominal_delay(n).total_seconds() for n in range(1, policy.max_attempts)]
    assert delays[:8] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert set(delays[7:]) == {3600}
    assert policy.max_attempts == 20
    # 19 waits: 30 s doubling to 1920 s (3810 s), then twelve of an hour: 13 h 3 min 30 s before jitter.
    assert sum(delays) == 47010
    assert policy.jitter == 0.5
    with pytest.raises(ValueError):
        policy.nominal_delay(0)


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (None, True),
        (408, True),
        (425, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (507, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (409, False),
        (413, False),
        (415, False),
        (421, False),
        (422, False),
    ],
)
def test_which_answers_are_retried(status, retry):
    assert is_retryable(status) is retry


# --- who sent it, to whom -------------------------------------------------------------------------------
def test_sender_and_recipient_checks():
    check_sender("SE-ECPAT", "SE-ECPAT")
    check_recipient("NL-EXAMPLE", "NL-EXAMPLE")
    with pytest.raises(SenderMismatch):
        check_sender("DE-EXAMPLE", "SE-ECPAT")
    with pytest.raises(RecipientMismatch):
        check_recipient("DE-EXAMPLE", "NL-EXAMPLE")


def test_random_status_histories_never_let_an_older_status_win():
    rng = random.Random(14)
    for _ in range(200):
        points = [point(rng.choice(STATUSES), rng.randint(0, 5)) for _ in range(rng.randint(1, 8))]
        winner = current_status(points)
        assert winner is not None
        assert all(p.status_at <= winner.status_at for p in points)
