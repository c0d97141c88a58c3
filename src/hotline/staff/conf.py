"""Settings of the staff app (see docs/operating.md), read through hotline.core.conf with safe defaults."""

from __future__ import annotations

from hotline.core import conf


def sign_in_record_days() -> int:
    """HOTLINE_STAFF_SIGN_IN_RECORD_DAYS: days django-axes' records of staff sign-ins (time, account, network,
    user agent) are kept before the periodic job `prune_sign_in_records` deletes them."""
    return conf.integer("HOTLINE_STAFF_SIGN_IN_RECORD_DAYS", 90, minimum=1)


def login_delay_after() -> int:
    """HOTLINE_LOGIN_DELAY_AFTER: failed sign-ins of one account, from every network together within
    HOTLINE_LOGIN_COOLOFF_MINUTES, after which each further attempt waits (1 s, then doubling)."""
    return conf.integer("HOTLINE_LOGIN_DELAY_AFTER", 10, minimum=1)


def login_delay_max_seconds() -> int:
    """HOTLINE_LOGIN_DELAY_MAX_SECONDS: the longest such wait."""
    return conf.integer("HOTLINE_LOGIN_DELAY_MAX_SECONDS", 300, minimum=1, maximum=3600)


ACCESSORS: tuple[conf.Accessor, ...] = (sign_in_record_days, login_delay_after, login_delay_max_seconds)
