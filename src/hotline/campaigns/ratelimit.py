"""Rate limits for public sign-ups, held as short-lived keyed hashes only (hotline.core.ratelimit counters).

What is limited: sign-ups per network prefix (/24 IPv4, /48 IPv6) and per email domain, in fixed
windows of HOTLINE_CAMPAIGN_RATE_WINDOW_SECONDS. The counter key is core.ratelimit.subject_key: an
HMAC of the prefix (or domain) under a key derived from HOTLINE_INDEX_KEY *and the window number*, so
a key is useless after its window, and the counter itself expires with the window. No address is
ever written: not to the database, not to a log.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from hotline.campaigns import conf, rules
from hotline.core import clients
from hotline.core import ratelimit as counters

NETWORK = "net"
DOMAIN = "dom"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    scope: str = ""  # which limit refused: NETWORK or DOMAIN


def _window(now: float | None = None) -> tuple[int, int]:
    """(window number, seconds left in it)."""
    return counters.current_window(conf.rate_window_seconds(), now=now)


def _key(scope: str, value: str, window: int) -> str:
    return counters.subject_key(f"campaigns-{scope}", value, window)


def _hit(scope: str, value: str, limit: int, *, now: float | None = None) -> bool:
    """Count one sign-up for `value`; False when the window already holds `limit`."""
    window, ttl = _window(now)
    key = _key(scope, value, window)
    return counters.count_event(key, ttl_seconds=ttl) <= limit


def request_network(request: HttpRequest) -> str:
    return rules.network_prefix(clients.client_address(request))


def check_network(request: HttpRequest, *, now: float | None = None) -> Verdict:
    """Count this request against its network's limit (call once per sign-up attempt)."""
    prefix = request_network(request)
    if prefix and not _hit(NETWORK, prefix, conf.rate_per_network(), now=now):
        return Verdict(False, NETWORK)
    return Verdict(True)


def check_domain(domain: str, *, now: float | None = None) -> Verdict:
    """Count one sign-up with an email at `domain` (large providers get the higher limit)."""
    if not domain:
        return Verdict(True)
    limit = conf.rate_per_large_provider() if rules.is_large_provider(domain) else conf.rate_per_domain()
    if not _hit(DOMAIN, domain, limit, now=now):
        return Verdict(False, DOMAIN)
    return Verdict(True)
