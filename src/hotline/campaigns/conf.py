"""Settings of the campaigns app, read from Django settings (or the environment) with safe defaults.

Every value can be set as a Django setting or as an environment variable of the same name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def retention_months() -> int:
    """Months after a petition closes until signers' names and emails are erased."""
    return int(_get("HOTLINE_PETITION_RETENTION_MONTHS", 6))


def confirm_link_hours() -> int:
    """How long a confirmation link (signature or newsletter) stays valid."""
    return int(_get("HOTLINE_CAMPAIGN_CONFIRM_HOURS", 72))


def pending_signature_days() -> int:
    """Unconfirmed signatures are deleted after this many days (their link has long expired)."""
    return int(_get("HOTLINE_PETITION_PENDING_DAYS", 7))


def unconfirmed_subscriber_days() -> int:
    return int(_get("HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS", 30))


def unsubscribed_subscriber_days() -> int:
    """An unsubscribed address is kept this long (so a late issue already queued skips it), then deleted."""
    return int(_get("HOTLINE_NEWSLETTER_UNSUBSCRIBED_DAYS", 30))


def export_days() -> int:
    """Hand-over export files (names!) are deleted this many days after they were made."""
    return int(_get("HOTLINE_PETITION_EXPORT_DAYS", 30))


def export_dir() -> Path:
    default = Path(settings.VAR_DIR) / "campaign-exports"
    path = Path(_get("HOTLINE_CAMPAIGN_EXPORT_DIR", default))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def newsletter_batch_size() -> int:
    return int(_get("HOTLINE_NEWSLETTER_BATCH_SIZE", 200))


def mail_max_attempts() -> int:
    """Attempts to hand one mail to the SMTP server before giving up (back-off 1, 2, 4 … 60 minutes)."""
    return int(_get("HOTLINE_CAMPAIGN_MAIL_ATTEMPTS", 10))


def repeat_mail_minutes() -> int:
    """At most one 'already signed' / 'here is your link again' mail per address and petition in this time."""
    return int(_get("HOTLINE_CAMPAIGN_REPEAT_MAIL_MINUTES", 60))


def rate_window_seconds() -> int:
    return int(_get("HOTLINE_CAMPAIGN_RATE_WINDOW_SECONDS", 600))


def rate_per_network() -> int:
    """Sign-ups (signatures + newsletter) per window from one /24 (IPv4) or /48 (IPv6) network."""
    return int(_get("HOTLINE_CAMPAIGN_RATE_PER_NETWORK", 30))


def rate_per_domain() -> int:
    """Sign-ups per window with emails at one domain (not a large mail provider)."""
    return int(_get("HOTLINE_CAMPAIGN_RATE_PER_DOMAIN", 50))


def rate_per_large_provider() -> int:
    """Sign-ups per window with emails at one large provider (gmail.com, outlook.com, …)."""
    return int(_get("HOTLINE_CAMPAIGN_RATE_PER_LARGE_PROVIDER", 2000))


def unsubscribe_mailto() -> str:
    """Optional address for mailto: List-Unsubscribe (e.g. unsubscribe@hotline.example); empty: https only."""
    return str(_get("HOTLINE_NEWSLETTER_UNSUBSCRIBE_MAILTO", ""))


def public_url() -> str:
    return str(getattr(settings, "HOTLINE_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
