"""Intake settings, read from Django settings (tests) or the environment (operators), with safe defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_read: dict[tuple[str, int], int] = {}


def _int(name: str, default: int) -> int:
    """A setting (Django settings first, then the environment), read once; a settings change clears it."""
    try:
        return _read[(name, default)]
    except KeyError:
        pass
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "")
        value = int(raw) if raw.strip().isascii() and raw.strip().isdigit() else default
    _read[(name, default)] = int(value)
    return int(value)


@receiver(setting_changed)
def _forget_read_settings(**kwargs: Any) -> None:
    _read.clear()


def max_urls() -> int:
    """URLs per report (form and API)."""
    return _int("HOTLINE_INTAKE_MAX_URLS", 20)


def max_url_length() -> int:
    return _int("HOTLINE_INTAKE_MAX_URL_LENGTH", 4096)


MAX_DESCRIPTION = 10_000
MAX_WHERE_SEEN = 1_000
MAX_CONTACT = 500
MAX_MESSAGE = 10_000
MAX_CLASSIFICATION = 64


def submissions_per_hour() -> int:
    """Public reports one client address may send per hour (form, share target)."""
    return _int("HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR", 30)


def receipt_failures_per_hour() -> int:
    """Wrong receipt codes one client address may try per hour before the status page refuses."""
    return _int("HOTLINE_RECEIPT_FAILURES_PER_HOUR", 10)


def api_requests_per_minute() -> int:
    """Requests one partner key may make per minute (a batch counts as one request)."""
    return _int("HOTLINE_API_REQUESTS_PER_MINUTE", 600)


def api_max_body_bytes() -> int:
    return min(
        _int("HOTLINE_API_MAX_BODY_BYTES", 5 * 1024 * 1024), int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 10**9
    )


def api_max_batch() -> int:
    return _int("HOTLINE_API_MAX_BATCH", 1000)


def idempotency_ttl() -> timedelta:
    return timedelta(hours=_int("HOTLINE_IDEMPOTENCY_HOURS", 24))
