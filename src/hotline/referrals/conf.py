"""Settings of the referrals app, read from Django settings or the environment with safe defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    """A Django setting wins over the environment variable of the same name."""
    if hasattr(settings, name):
        return getattr(settings, name)
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    try:
        return int(_get(name, default))
    except (TypeError, ValueError):
        return default


def home_country() -> str:
    return str(getattr(settings, "HOTLINE_HOME_COUNTRY", "SE")).upper()


def referral_policy() -> str:
    """`police_first` (default): a notice to a host at home waits for police clearance.
    `notice_at_once`: the notice goes out together with the police referral."""
    value = str(_get("HOTLINE_REFERRAL_POLICY", "police_first")).strip().lower().replace("-", "_")
    return value if value in {"police_first", "notice_at_once"} else "police_first"


def rules_file() -> str:
    """Optional JSON file that replaces the default referral rules (see docs/referrals.md)."""
    return str(_get("HOTLINE_REFERRAL_RULES_FILE", ""))


def notice_interval() -> timedelta:
    return timedelta(hours=max(1, _int("HOTLINE_NOTICE_INTERVAL_HOURS", 24)))


def escalate_after() -> int:
    return max(1, _int("HOTLINE_NOTICE_ESCALATE_AFTER", 3))


def police_channel() -> str:
    value = str(_get("HOTLINE_POLICE_CHANNEL", "download")).strip().lower()
    return value if value in {"email", "download"} else "download"


def police_email() -> str:
    return str(_get("HOTLINE_POLICE_EMAIL", "")).strip()


def police_language() -> str:
    return str(_get("HOTLINE_POLICE_LANGUAGE", "sv"))


def swedish_notice_countries() -> frozenset[str]:
    """Recipients in these countries get notices in Swedish; everyone else in English."""
    raw = str(_get("HOTLINE_SWEDISH_NOTICE_COUNTRIES", "SE,AX"))
    return frozenset(c.strip().upper() for c in raw.split(",") if c.strip())


def monitoring_period() -> timedelta:
    """How long a case stays in monitoring after removal before it closes (0 closes at once)."""
    return timedelta(hours=max(0, _int("HOTLINE_MONITORING_HOURS", 168)))


def retry_base() -> timedelta:
    return timedelta(seconds=max(1, _int("HOTLINE_DELIVERY_RETRY_BASE_SECONDS", 300)))


def retry_cap() -> timedelta:
    return timedelta(seconds=max(1, _int("HOTLINE_DELIVERY_RETRY_CAP_SECONDS", 12 * 3600)))


def max_failures() -> int:
    """Consecutive failed attempts after which automatic retries stop (the failed list stays)."""
    return max(1, _int("HOTLINE_DELIVERY_MAX_FAILURES", 8))


def delivery_lease() -> timedelta:
    """A delivery claimed by a worker is not claimed again for this long (a crashed worker's is)."""
    timeout = int(getattr(settings, "EMAIL_TIMEOUT", 10) or 10)
    return timedelta(seconds=max(60, 3 * timeout))


def from_email() -> str:
    return str(_get("HOTLINE_REFERRAL_FROM_EMAIL", "") or settings.DEFAULT_FROM_EMAIL)


def organisation() -> str:
    return str(getattr(settings, "HOTLINE_ORGANISATION", "Hotline"))


def public_url() -> str:
    return str(getattr(settings, "HOTLINE_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


def legal_basis(language: str) -> str:
    """The legal-basis paragraph of notices, per language (HOTLINE_LEGAL_BASIS_SV / _EN)."""
    if language == "sv":
        return str(
            _get(
                "HOTLINE_LEGAL_BASIS_SV",
                "Innehav och spridning av material som visar sexuella övergrepp mot barn är brottsligt enligt "
                "16 kap. 10 a § brottsbalken. En värdtjänst som fått kännedom om sådant material ska ta bort det "
                "utan dröjsmål (lagen (2002:562) om elektronisk handel, 16–18 §§, och förordning (EU) 2022/2065, "
                "artikel 6).",
            )
        )
    return str(
        _get(
            "HOTLINE_LEGAL_BASIS_EN",
            "Possessing and distributing child sexual abuse material is a crime under chapter 16, section 10 a of "
            "the Swedish Criminal Code and under the law of nearly every country. A hosting service that becomes "
            "aware of such material must remove it or disable access to it without delay (Regulation (EU) "
            "2022/2065, Article 6).",
        )
    )


def xarf_national_classification() -> str:
    """X-ARF `classification` for material illegal under national law only (schema enum, not `baseline`)."""
    value = str(_get("HOTLINE_XARF_NATIONAL_CLASSIFICATION", "B2"))
    return value if value in {"A1", "A2", "B1", "B2", "baseline"} else "B2"
