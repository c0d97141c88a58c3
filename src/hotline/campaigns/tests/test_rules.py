"""Pure business rules: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.campaigns import rules
from hotline.core import csv as safe_csv


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Anna.Svensson+petition@Gmail.com", "annasvensson@gmail.com"),
        ("a.n.n.a@googlemail.com", "anna@gmail.com"),
        ("ANNA+x+y@gmail.com", "anna@gmail.com"),
        ("anna.svensson+news@outlook.com", "anna.svensson@outlook.com"),
        ("Anna.Svensson+news@Hotmail.SE", "anna.svensson@hotmail.se"),
        ("anna+tag@icloud.com", "anna@icloud.com"),
        ("anna+tag@proton.me", "anna@proton.me"),
        # Unknown domains: "+" and "." may be part of a different mailbox, so only case folds.
        ("Anna.Svensson+tag@Example.test", "anna.svensson+tag@example.test"),
        ("  anna@example.test  ", "anna@example.test"),
        ("anna@example.test.", "anna@example.test"),
        ("anna@exämple.test", "anna@xn--exmple-cua.test"),
    ],
)
def test_normalise_email(raw: str, normalised: str) -> None:
    assert rules.normalise_email(raw) == normalised


@pytest.mark.parametrize("raw", ["", "anna", "@example.test", "anna@", "+tag@gmail.com", "...@gmail.com"])
def test_normalise_email_refuses_what_is_no_mailbox(raw: str) -> None:
    with pytest.raises(rules.InvalidEmail):
        rules.normalise_email(raw)


def test_email_domain_folds_googlemail() -> None:
    assert rules.email_domain("x@GoogleMail.com") == "gmail.com"
    assert rules.email_domain("x@Bot.Example") == "bot.example"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+46 8 123", "'+46 8 123"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Anna", "Anna"),
        ("Anna=1", "Anna=1"),
        (None, ""),
        (5, "5"),
    ],
)
def test_csv_safe(value: object, cell: str) -> None:
    assert safe_csv.safe_cell(value) == cell  # the one CSV helper of every export (hotline.core.csv)


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("192.0.2.17", "192.0.2.0/24"),
        ("198.51.100.255", "198.51.100.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_network_prefix(address: str, prefix: str) -> None:
    assert rules.network_prefix(address) == prefix


def test_percent() -> None:
    assert rules.percent(0, 100) == 0
    assert rules.percent(50, 100) == 50
    assert rules.percent(250, 100) == 100
    assert rules.percent(3, 0) == 100


def test_mark_bursts_flags_only_windows_far_above_the_median() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    counts = [3, 4, 2, 5, 3, 400, 4, 19]
    buckets = rules.mark_bursts([(t0 + timedelta(hours=i), c) for i, c in enumerate(counts)])
    assert [b.burst for b in buckets] == [False, False, False, False, False, True, False, False]
    # A quiet petition never shows a burst below the minimum.
    assert not any(b.burst for b in rules.mark_bursts([(t0, 1), (t0, 0), (t0, 9)]))
    assert rules.mark_bursts([]) == []


def test_domain_share() -> None:
    assert rules.domain_share_is_suspicious(30, 100, domain="bot.example")
    assert not rules.domain_share_is_suspicious(30, 100, domain="gmail.com")
    assert not rules.domain_share_is_suspicious(10, 100, domain="bot.example")
    assert not rules.domain_share_is_suspicious(10, 12, domain="bot.example")


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), 6, datetime(2026, 7, 15, 12, 0, tzinfo=UTC)),
        (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2027, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2026, 5, 1, tzinfo=UTC), 0, datetime(2026, 5, 1, tzinfo=UTC)),
    ],
)
def test_add_months(start: datetime, months: int, end: datetime) -> None:
    assert rules.add_months(start, months) == end


def test_mail_backoff_grows_and_is_capped() -> None:
    waits = [rules.mail_backoff(n) for n in range(1, 10)]
    assert waits[0] == timedelta(minutes=1)
    assert waits[1] == timedelta(minutes=2)
    assert waits == sorted(waits)
    assert waits[-1] == timedelta(hours=1)
