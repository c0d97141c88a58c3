"""The client address behind trusted proxies (one rule for every rate limit)."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from hotline.core.clients import address_through_proxies, client_address


def test_client_address_trusts_only_the_configured_proxies() -> None:
    assert address_through_proxies("192.0.2.1", "203.0.113.5, 198.51.100.7", 0) == "192.0.2.1"
    assert address_through_proxies("192.0.2.1", "203.0.113.5, 198.51.100.7", 1) == "198.51.100.7"
    assert address_through_proxies("192.0.2.1", "203.0.113.5, 198.51.100.7", 2) == "203.0.113.5"
    assert address_through_proxies("192.0.2.1", "203.0.113.5", 2) == "192.0.2.1"


def test_one_setting_for_every_part(settings: Any) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    settings.HOTLINE_TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "192.0.2.1"
    settings.HOTLINE_TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.5"
