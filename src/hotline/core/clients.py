"""The address a request came from, through the reverse proxies Hotline trusts.

Used only as input to keyed hashes for rate limits: never stored, never logged.
"""

from __future__ import annotations

from django.http import HttpRequest

from hotline.core import conf


def address_through_proxies(remote_addr: str, forwarded_for: str, proxy_count: int) -> str:
    """The client's address given `proxy_count` trusted proxies that append to X-Forwarded-For."""
    if proxy_count <= 0 or not forwarded_for:
        return remote_addr
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    if len(hops) < proxy_count:
        return remote_addr
    return hops[-proxy_count]


def client_address(request: HttpRequest) -> str:
    """The client's address as seen through HOTLINE_TRUSTED_PROXY_COUNT proxies (0: REMOTE_ADDR)."""
    return address_through_proxies(
        request.META.get("REMOTE_ADDR", "") or "",
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        conf.trusted_proxy_count(),
    )
