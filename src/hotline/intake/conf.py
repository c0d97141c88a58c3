"""Intake settings (see docs/operating.md), read through hotline.core.conf with safe defaults."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from hotline.core import conf


def max_urls() -> int:
    """URLs per report (form and API)."""
    return conf.integer("HOTLINE_INTAKE_MAX_URLS", 20)


def max_url_length() -> int:
    return conf.integer("HOTLINE_INTAKE_MAX_URL_LENGTH", 4096)


MAX_DESCRIPTION = 10_000
MAX_WHERE_SEEN = 1_000
MAX_CONTACT = 500
MAX_MESSAGE = 10_000
MAX_CLASSIFICATION = 64


def own_images_max_files() -> int:
    """HOTLINE_OWN_IMAGES_MAX_FILES (default 20, 1-100): files one report from /report/own-images/ may carry
    the hashes of (each file gives at most three hashes: SHA-256, MD5, PDQ)."""
    return conf.integer("HOTLINE_OWN_IMAGES_MAX_FILES", 20, minimum=1, maximum=100)


def submissions_per_hour() -> int:
    """Public reports one client address may send per hour (form, share target)."""
    return conf.integer("HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR", 30)


def receipt_failures_per_hour() -> int:
    """Wrong receipt codes one client address may try per hour before the status page refuses."""
    return conf.integer("HOTLINE_RECEIPT_FAILURES_PER_HOUR", 10)


def messages_per_receipt_per_day() -> int:
    """Follow-up messages one report may get through its receipt per day (fixed 24-hour windows)."""
    return conf.integer("HOTLINE_MESSAGES_PER_RECEIPT_PER_DAY", 10)


def messages_per_hour() -> int:
    """Follow-up messages one client address (an IPv6 client's /64) may send per hour, to any receipts."""
    return conf.integer("HOTLINE_MESSAGES_PER_HOUR", 20)


def api_requests_per_minute() -> int:
    """Requests one partner key may make per minute (a batch counts as one request)."""
    return conf.integer("HOTLINE_API_REQUESTS_PER_MINUTE", 600)


def api_max_body_bytes() -> int:
    # Never above Django's own limit, which would refuse the body first (with a less clear answer).
    return min(
        conf.integer("HOTLINE_API_MAX_BODY_BYTES", 5 * 1024 * 1024),
        int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 10**9,
    )


def api_max_batch() -> int:
    return conf.integer("HOTLINE_API_MAX_BATCH", 1000)


def idempotency_ttl() -> timedelta:
    return timedelta(hours=conf.integer("HOTLINE_IDEMPOTENCY_HOURS", 24))


def thanks_valid_seconds() -> int:
    """HOTLINE_THANKS_VALID_MINUTES (default 10, 1-60): how long the one-time thank-you address after a report
    shows its receipt (intake/thanks.py); long enough for a slow connection, short for a shared computer."""
    return 60 * conf.integer("HOTLINE_THANKS_VALID_MINUTES", 10, minimum=1, maximum=60)


ACCESSORS: tuple[conf.Accessor, ...] = (
    max_urls,
    max_url_length,
    own_images_max_files,
    submissions_per_hour,
    receipt_failures_per_hour,
    messages_per_receipt_per_day,
    messages_per_hour,
    api_requests_per_minute,
    api_max_body_bytes,
    api_max_batch,
    idempotency_ttl,
    thanks_valid_seconds,
)
