"""Settings of the network app (docs/network.md), read through hotline.core.conf with safe defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings

from hotline.core import conf


def key_file() -> Path:
    """The Ed25519 private key of this instance (PKCS#8 PEM, mode 0600), outside the database."""
    return conf.path("HOTLINE_NETWORK_KEY_FILE", Path(settings.VAR_DIR) / "network-key.pem")


def max_attempts() -> int:
    """Attempts of one message before it is `failed` (shown on the outbox and the failed-deliveries page)."""
    return conf.integer("HOTLINE_NETWORK_MAX_ATTEMPTS", 20, minimum=1)


def retry_base() -> timedelta:
    return timedelta(seconds=conf.number("HOTLINE_NETWORK_RETRY_BASE_SECONDS", 30.0, minimum=0.05))


def retry_cap() -> timedelta:
    return timedelta(seconds=conf.number("HOTLINE_NETWORK_RETRY_CAP_SECONDS", 3600.0, minimum=0.05))


def send_timeout() -> float:
    """Seconds a delivery may take (connect + answer) before it counts as failed."""
    return conf.number("HOTLINE_NETWORK_TIMEOUT_SECONDS", 10.0, minimum=0.5)


def replay_window() -> timedelta:
    """How far a signature's `created` may lie from our clock either way."""
    return timedelta(seconds=conf.integer("HOTLINE_NETWORK_REPLAY_WINDOW_SECONDS", 300, minimum=10))


def partner_requests_per_minute() -> int:
    """Requests one partner may make to the inbox per minute (refused with 429 above)."""
    return conf.integer("HOTLINE_NETWORK_REQUESTS_PER_MINUTE", 600, minimum=1)


ACCESSORS: tuple[conf.Accessor, ...] = (
    key_file,
    max_attempts,
    retry_base,
    retry_cap,
    send_timeout,
    replay_window,
    partner_requests_per_minute,
)
