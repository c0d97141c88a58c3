"""Rate limits of the public intake. Subjects (client addresses) are stored only as short-lived keyed hashes.

Counts live in the shared counter table under keys from `core.ratelimit.subject_key`: an HMAC under a
key derived from HOTLINE_INDEX_KEY (never in the database) and from the window number, so a hash cannot
be linked to the same address in another window, and expires with its window. Counting is one atomic
statement inside the report's own transaction.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.http import HttpRequest

from hotline.core import clients
from hotline.core import ratelimit as counters
from hotline.intake import conf


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends


def client_address(request: HttpRequest) -> str:
    """The client's address as seen through HOTLINE_TRUSTED_PROXY_COUNT proxies, coarsened for IPv6.

    IPv6 clients usually own a whole /64, so the /64 is what gets counted. Never stored or logged.
    """
    address = clients.client_address(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False).network_address)
    return str(ip)


@dataclass(frozen=True)
class RateCount:
    """An event to count together with a write (hotline.intake.report_sql), and how to read its count."""

    event: counters.RateEvent
    retry_after: int

    def decision(self, count: int) -> Decision:
        return Decision(count <= self.event.limit, count, self.event.limit, self.retry_after)


class RateLimiter:
    """At most `limit` events per `period` seconds per subject, counted in fixed windows."""

    def __init__(self, scope: str, *, limit: int, period: int):
        self.scope = scope
        self.limit = limit
        self.period = period

    def _key(self, subject: str, window: int) -> str:
        return counters.subject_key(self.scope, subject, window)

    def _window(self) -> tuple[int, int]:
        return counters.current_window(self.period)

    def peek(self, subject: str) -> Decision:
        """How many events this window, without counting one."""
        window, retry_after = self._window()
        count = counters.current_count(self._key(subject, window))
        return Decision(count < self.limit, count, self.limit, retry_after)

    def count(self, subject: str) -> RateCount:
        """The event of `subject` now, to be counted by the write it comes with (one statement)."""
        window, retry_after = self._window()
        event = counters.RateEvent(self._key(subject, window), self.limit, retry_after + 1)
        return RateCount(event, retry_after)

    def hit(self, subject: str) -> Decision:
        """Count one event; allowed while the count stays within the limit."""
        window, retry_after = self._window()
        key = self._key(subject, window)
        count = counters.count_event(key, ttl_seconds=retry_after + 1)
        return Decision(count <= self.limit, count, self.limit, retry_after)


def submissions() -> RateLimiter:
    return RateLimiter("submit", limit=conf.submissions_per_hour(), period=3600)


def receipt_failures() -> RateLimiter:
    return RateLimiter("receipt", limit=conf.receipt_failures_per_hour(), period=3600)


def partner_requests() -> RateLimiter:
    return RateLimiter("api", limit=conf.api_requests_per_minute(), period=60)


def messages_per_receipt() -> RateLimiter:
    """Follow-up messages to one report (subject: the report), per day."""
    return RateLimiter("message-receipt", limit=conf.messages_per_receipt_per_day(), period=86400)


def messages_per_client() -> RateLimiter:
    """Follow-up messages from one client address, per hour."""
    return RateLimiter("message-client", limit=conf.messages_per_hour(), period=3600)
