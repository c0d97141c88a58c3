"""Settings of the referrals app (see docs/referrals.md), read through hotline.core.conf with safe defaults."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from hotline.core import conf

POLICIES = frozenset({"police_first", "notice_at_once"})
POLICE_CHANNELS = frozenset({"email", "download"})
# X-ARF `classification` values for material illegal under national law only (the schema's enum).
XARF_CLASSIFICATIONS = frozenset({"A1", "A2", "B1", "B2", "baseline"})
DEFAULT_LEGAL_BASIS_SV = (
    "Innehav och spridning av material som visar sexuella övergrepp mot barn är brottsligt enligt "
    "16 kap. 10 a § brottsbalken. En värdtjänst som fått kännedom om sådant material ska ta bort det "
    "utan dröjsmål (lagen (2002:562) om elektronisk handel, 16–18 §§, och förordning (EU) 2022/2065, "
    "artikel 6)."
)
DEFAULT_LEGAL_BASIS_EN = (
    "Possessing and distributing child sexual abuse material is a crime under chapter 16, section 10 a of "
    "the Swedish Criminal Code and under the law of nearly every country. A hosting service that becomes "
    "aware of such material must remove it or disable access to it without delay (Regulation (EU) "
    "2022/2065, Article 6)."
)


def _policy_word(value: str) -> str:
    return value.strip().lower().replace("-", "_")


def _lower_word(value: str) -> str:
    return value.strip().lower()


def home_country() -> str:
    return conf.text("HOTLINE_HOME_COUNTRY", "SE").upper()


def referral_policy() -> str:
    """`police_first` (default): a notice to a host at home waits for police clearance.
    `notice_at_once`: the notice goes out together with the police referral."""
    return conf.choice("HOTLINE_REFERRAL_POLICY", "police_first", POLICIES, normalise=_policy_word)


def rules_file() -> str:
    """Optional JSON file that replaces the default referral rules (see docs/referrals.md)."""
    return conf.text("HOTLINE_REFERRAL_RULES_FILE", "")


def notice_interval() -> timedelta:
    return timedelta(hours=conf.integer("HOTLINE_NOTICE_INTERVAL_HOURS", 24, minimum=1))


def escalate_after() -> int:
    return conf.integer("HOTLINE_NOTICE_ESCALATE_AFTER", 3, minimum=1)


def police_channel() -> str:
    return conf.choice("HOTLINE_POLICE_CHANNEL", "download", POLICE_CHANNELS, normalise=_lower_word)


def police_email() -> str:
    return conf.text("HOTLINE_POLICE_EMAIL", "").strip()


def police_language() -> str:
    return conf.text("HOTLINE_POLICE_LANGUAGE", "sv")


def swedish_notice_countries() -> frozenset[str]:
    """Recipients in these countries get notices in Swedish; everyone else in English."""
    return frozenset(c.upper() for c in conf.comma_list("HOTLINE_SWEDISH_NOTICE_COUNTRIES", ("SE", "AX")))


def monitoring_period() -> timedelta:
    """How long a case stays in monitoring after removal before it closes (0 closes at once)."""
    return timedelta(hours=conf.integer("HOTLINE_MONITORING_HOURS", 168, minimum=0))


def retry_base() -> timedelta:
    return timedelta(seconds=conf.integer("HOTLINE_DELIVERY_RETRY_BASE_SECONDS", 300, minimum=1))


def retry_cap() -> timedelta:
    return timedelta(seconds=conf.integer("HOTLINE_DELIVERY_RETRY_CAP_SECONDS", 12 * 3600, minimum=1))


def max_failures() -> int:
    """Consecutive failed attempts after which automatic retries stop (the failed list stays)."""
    return conf.integer("HOTLINE_DELIVERY_MAX_FAILURES", 8, minimum=1)


def delivery_lease() -> timedelta:
    """A delivery claimed by a worker is not claimed again for this long (a crashed worker's is)."""
    timeout = conf.integer("EMAIL_TIMEOUT", 10) or 10
    return timedelta(seconds=max(60, 3 * timeout))


def from_email() -> str:
    return conf.text("HOTLINE_REFERRAL_FROM_EMAIL", "") or settings.DEFAULT_FROM_EMAIL


def organisation() -> str:
    return conf.text("HOTLINE_ORGANISATION", "Hotline")


public_url = conf.public_url


def legal_basis(language: str) -> str:
    """The legal-basis paragraph of notices, per language (HOTLINE_LEGAL_BASIS_SV / _EN)."""
    return legal_basis_sv() if language == "sv" else legal_basis_en()


def legal_basis_sv() -> str:
    return conf.text("HOTLINE_LEGAL_BASIS_SV", DEFAULT_LEGAL_BASIS_SV)


def legal_basis_en() -> str:
    return conf.text("HOTLINE_LEGAL_BASIS_EN", DEFAULT_LEGAL_BASIS_EN)


def xarf_national_classification() -> str:
    """X-ARF `classification` for material illegal under national law only (schema enum, not `baseline`)."""
    return conf.choice("HOTLINE_XARF_NATIONAL_CLASSIFICATION", "B2", XARF_CLASSIFICATIONS)


ACCESSORS: tuple[conf.Accessor, ...] = (
    home_country,
    referral_policy,
    rules_file,
    notice_interval,
    escalate_after,
    police_channel,
    police_email,
    police_language,
    swedish_notice_countries,
    monitoring_period,
    retry_base,
    retry_cap,
    max_failures,
    delivery_lease,
    from_email,
    organisation,
    public_url,
    legal_basis_sv,
    legal_basis_en,
    xarf_national_classification,
)
