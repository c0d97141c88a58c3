"""Plain rules of hosting localisation (no database, no network): host names, freshness, retries, the country
recorded on a case. The CDN catalogue is cdn.py."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class InvalidHost(ValueError):
    """Not a plain host name or IP literal (e.g. a full URL, a port, spaces)."""


def normalise_host(host: str) -> str:
    """Return the host as traced and stored: lower case, IDNA (punycode), no trailing dot, IPv6 unbracketed.

    Raises InvalidHost for anything that is not a plain host name or IP address, so a URL can never
    reach a task payload or the trace tables.
    """
    if not isinstance(host, str):
        raise InvalidHost("host must be a string")
    text = host.strip().rstrip(".").lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text or len(text) > 253:
        raise InvalidHost("empty or too long host name")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if any(c in text for c in "/:@?#% \t\r\n\\"):
        raise InvalidHost("a host name only, not a URL")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidHost("not a valid international host name") from exc
    labels = text.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(text) > 253:
        raise InvalidHost("not a valid host name")
    return text


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def should_retry(attempt: int, *, max_attempts: int) -> bool:
    return attempt < max_attempts


def is_fresh(finished_at: datetime | None, *, now: datetime, ttl: timedelta) -> bool:
    """A finished trace younger than the TTL is served from the cache instead of tracing again."""
    return finished_at is not None and now - finished_at < ttl


def primary_country(countries: Sequence[str]) -> str:
    """The country recorded on the case: the first address's (A records before AAAA), if any has one."""
    for country in countries:
        if country:
            return country
    return ""
