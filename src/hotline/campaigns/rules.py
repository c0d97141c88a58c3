"""Business rules of campaigns as plain functions (no database): email normalisation and the address forms
refused, network prefixes, bursts, retention dates, mail back-off, the languages mail is written in, a mail
subject's one line. Tested without a database."""

from __future__ import annotations

import calendar
import ipaddress
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hotline.core.backoff import backoff

# --- email normalisation ------------------------------------------------------------------------
# Providers where the local part ignores dots AND everything after "+" (one mailbox, many spellings).
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Providers that deliver "name+anything@" to "name@" (sub-addressing) but where dots matter.
PLUS_TAG_DOMAINS = frozenset(
    {
        # Microsoft
        "outlook.com",
        "outlook.se",
        "hotmail.com",
        "hotmail.se",
        "live.com",
        "live.se",
        "msn.com",
        # Apple
        "icloud.com",
        "me.com",
        "mac.com",
        # Proton
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        # Fastmail, Zoho, Yandex, GMX, mail.com (Tuta has no sub-addressing, so it is not listed)
        "fastmail.com",
        "fastmail.fm",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "gmx.com",
        "gmx.net",
        "gmx.de",
        "mail.com",
    }
)
# Large providers: many honest signers share them, so the per-domain rate limit is far higher.
LARGE_PROVIDERS = GMAIL_DOMAINS | {
    "outlook.com",
    "hotmail.com",
    "hotmail.se",
    "live.com",
    "live.se",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "yahoo.com",
    "yahoo.se",
    "ymail.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "telia.com",
    "telia.se",
    "bredband.net",
    "spray.se",
    "bahnhof.se",
    "comhem.se",
    "tele2.se",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "mail.com",
}


class InvalidEmail(ValueError):
    """Not an address we can normalise (no @, empty parts)."""


def split_email(email: str) -> tuple[str, str]:
    value = email.strip()
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not domain:
        raise InvalidEmail(email)
    domain = domain.lower().rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidEmail(email) from exc
    return local, domain


def email_domain(email: str) -> str:
    """The address's domain, lower-case, punycode, with googlemail.com folded into gmail.com."""
    _, domain = split_email(email)
    return "gmail.com" if domain == "googlemail.com" else domain


def normalise_email(email: str) -> str:
    """The one spelling per mailbox used for duplicate checks (never for sending).

    - everything lower-case (no provider we know treats case as significant);
    - gmail.com / googlemail.com: dots and "+tag" dropped, domain gmail.com;
    - providers in PLUS_TAG_DOMAINS: "+tag" dropped, dots kept;
    - any other domain: only lower-cased, because "+" or "." may be part of a real, distinct mailbox.
    """
    local, _ = split_email(email)
    local = local.lower()
    domain = email_domain(email)
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if not local:
        raise InvalidEmail(email)
    return f"{local}@{domain}"


class RewrittenForm(StrEnum):
    """Spellings of an address that mail systems rewrite before delivery, or that name no domain's mailbox.

    Each could give one mailbox many dedup keys, so campaigns refuses them (see docs/campaigns.md)."""

    ENCODED_WORD = "encoded-word"  # RFC 2047 "=?utf-8?q?anna?=": Python's mail parser decodes it to "anna"
    QUOTED = "quoted"  # '"anna"@…' is the mailbox anna@…; a quoted local part is never needed by a person
    ADDRESS_LITERAL = "address-literal"  # "a@[192.0.2.1]": a server, not a domain; one mailbox, many spellings
    ROUTING = "routing"  # "%" and "!" (the percent hack, UUCP bang paths) hand the mail on to another mailbox


def rewritten_form(email: str) -> RewrittenForm | None:
    """Which rewritten form `email` uses (checked in this order), or None for a plain address."""
    local, _sep, domain = email.strip().rpartition("@")
    if "=?" in local or "?=" in local:
        return RewrittenForm.ENCODED_WORD
    if '"' in local or "\\" in local:
        return RewrittenForm.QUOTED
    if domain.startswith("["):
        return RewrittenForm.ADDRESS_LITERAL
    if "%" in local or "!" in local:
        return RewrittenForm.ROUTING
    return None


def is_large_provider(domain: str) -> bool:
    return domain in LARGE_PROVIDERS


# --- mail subjects ------------------------------------------------------------------------------
def is_one_line(text: str) -> bool:
    """Fit for a mail header: no line break (CR, LF or Unicode's own) and no other control character.

    A line break in a subject would end the header (Django refuses to send it: BadHeaderError)."""
    return not any(unicodedata.category(c) in {"Cc", "Zl", "Zp"} for c in text)


# --- languages --------------------------------------------------------------------------------
LANGUAGES = ("sv", "en")


def supported_language(value: str) -> str:
    """The language a signer, subscriber or export gets: one campaigns writes in, else Swedish."""
    return value if value in LANGUAGES else "sv"


# --- networks -----------------------------------------------------------------------------------
def network_prefix(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) network of an address, as text; "" when it is not an address.

    IPv4-mapped IPv6 addresses count as IPv4. Used only as input to a keyed hash, never stored.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# --- progress, bursts ---------------------------------------------------------------------------
def percent(done: int, total: int) -> int:
    """Whole percent, 0–100 (an empty job is 100 % done)."""
    if total <= 0:
        return 100
    return max(0, min(100, (done * 100) // total))


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int
    burst: bool = False


def mark_bursts(buckets: Sequence[tuple[datetime, int]], *, factor: float = 5.0, minimum: int = 20) -> list[Bucket]:
    """Flag time windows with far more signatures than usual.

    A window is a burst when it holds at least `minimum` signatures and more than `factor`
    times the median of all windows (the median resists the burst itself).
    """
    counts = [c for _, c in buckets]
    median = statistics.median(counts) if counts else 0
    threshold = max(minimum, factor * median)
    return [Bucket(start=start, count=count, burst=count >= threshold) for start, count in buckets]


def domain_share_is_suspicious(domain_count: int, total: int, *, domain: str, share: float = 0.2) -> bool:
    """A small domain holding a large share of recent signatures is worth a look."""
    if total < 20 or is_large_provider(domain):
        return False
    return domain_count / total >= share


# --- time ---------------------------------------------------------------------------------------
def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (clamped to the month's last day: 31 Aug + 6 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


MAIL_RETRY_BASE = timedelta(minutes=1)
MAIL_RETRY_CAP = timedelta(hours=1)


def mail_backoff(attempt: int) -> timedelta:
    """Wait before mail attempt `attempt + 1`: 1, 2, 4, 8 … minutes, at most an hour (a delivery not yet
    tried, attempt 0, waits like the first)."""
    return backoff(max(1, attempt), base=MAIL_RETRY_BASE, cap=MAIL_RETRY_CAP)
