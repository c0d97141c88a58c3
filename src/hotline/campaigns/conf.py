"""Settings of the campaigns app (see docs/campaigns.md), read through hotline.core.conf with safe defaults."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from hotline.core import conf


def retention_months() -> int:
    """Months after a petition closes until signers' names and emails are erased."""
    return conf.integer("HOTLINE_PETITION_RETENTION_MONTHS", 6)


def confirm_link_hours() -> int:
    """How long a confirmation link (signature or newsletter) stays valid."""
    return conf.integer("HOTLINE_CAMPAIGN_CONFIRM_HOURS", 72)


def pending_signature_days() -> int:
    """Unconfirmed signatures are deleted after this many days (their link has long expired)."""
    return conf.integer("HOTLINE_PETITION_PENDING_DAYS", 7)


def unconfirmed_subscriber_days() -> int:
    return conf.integer("HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS", 30)


def unsubscribed_subscriber_days() -> int:
    """An unsubscribed address is kept this long (so a late issue already queued skips it), then deleted."""
    return conf.integer("HOTLINE_NEWSLETTER_UNSUBSCRIBED_DAYS", 30)


def export_days() -> int:
    """Hand-over export files (names!) are deleted this many days after they were made."""
    return conf.integer("HOTLINE_PETITION_EXPORT_DAYS", 30)


def export_dir_setting() -> Path:
    """HOTLINE_CAMPAIGN_EXPORT_DIR, read only (the start-up check must not create directories)."""
    return conf.path("HOTLINE_CAMPAIGN_EXPORT_DIR", Path(settings.VAR_DIR) / "campaign-exports")


def export_dir() -> Path:
    """The directory of hand-over exports, created (owner only) if it is missing."""
    path = export_dir_setting()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def newsletter_batch_size() -> int:
    return conf.integer("HOTLINE_NEWSLETTER_BATCH_SIZE", 200)


def mail_max_attempts() -> int:
    """Attempts to hand one mail to the SMTP server before giving up (back-off 1, 2, 4 … 60 minutes)."""
    return conf.integer("HOTLINE_CAMPAIGN_MAIL_ATTEMPTS", 10)


def repeat_mail_minutes() -> int:
    """At most one 'already signed' / 'here is your link again' mail per address and petition in this time."""
    return conf.integer("HOTLINE_CAMPAIGN_REPEAT_MAIL_MINUTES", 60)


def rate_window_seconds() -> int:
    return conf.integer("HOTLINE_CAMPAIGN_RATE_WINDOW_SECONDS", 600)


def rate_per_network() -> int:
    """Sign-ups (signatures + newsletter) per window from one /24 (IPv4) or /48 (IPv6) network."""
    return conf.integer("HOTLINE_CAMPAIGN_RATE_PER_NETWORK", 30)


def rate_per_domain() -> int:
    """Sign-ups per window with emails at one domain (not a large mail provider)."""
    return conf.integer("HOTLINE_CAMPAIGN_RATE_PER_DOMAIN", 50)


def rate_per_large_provider() -> int:
    """Sign-ups per window with emails at one large provider (gmail.com, outlook.com, …)."""
    return conf.integer("HOTLINE_CAMPAIGN_RATE_PER_LARGE_PROVIDER", 2000)


def unsubscribe_mailto() -> str:
    """Optional address for mailto: List-Unsubscribe (e.g. unsubscribe@hotline.example); empty: https only."""
    return conf.text("HOTLINE_NEWSLETTER_UNSUBSCRIBE_MAILTO", "")


public_url = conf.public_url


ACCESSORS: tuple[conf.Accessor, ...] = (
    retention_months,
    confirm_link_hours,
    pending_signature_days,
    unconfirmed_subscriber_days,
    unsubscribed_subscriber_days,
    export_days,
    export_dir_setting,
    newsletter_batch_size,
    mail_max_attempts,
    repeat_mail_minutes,
    rate_window_seconds,
    rate_per_network,
    rate_per_domain,
    rate_per_large_provider,
    unsubscribe_mailto,
    public_url,
)
