"""Base URLs in the one spelling both ends sign, the protocol's endpoints, and loopback."""

from __future__ import annotations

import pytest

from hotline.network.protocol import INBOX_PATH, canonical_base_url, endpoint_url, is_loopback_url
from hotline.network.protocol.urls import is_canonical_url


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("https://nl.example.test", "https://nl.example.test"),
        ("HTTPS://NL.Example.TEST/", "https://nl.example.test"),
        ("https://nl.example.test:443", "https://nl.example.test"),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("https://nl.example.test:8443/hotline/", "https://nl.example.test:8443/hotline"),
        ("http://[2001:DB8::1]:8000", "http://[2001:db8::1]:8000"),
        ("  https://nl.example.test  ", "https://nl.example.test"),
    ],
)
def test_canonical_base_urls(given, canonical):
    assert canonical_base_url(given) == canonical
    assert canonical_base_url(canonical) == canonical


@pytest.mark.parametrize(
    "given",
    [
        "nl.example.test",
        "ftp://nl.example.test",
        "https://",
        "https://user:pass@nl.example.test",
        "https://nl.example.test/?x=1",
        "https://nl.example.test/#top",
        "https://nl.example.test:99999",
        "https://exämple.test",
    ],
)
def test_not_a_base_url(given):
    with pytest.raises(ValueError):
        canonical_base_url(given)


def test_endpoint_urls_are_canonical():
    url = endpoint_url("HTTPS://NL.example.test:443/", INBOX_PATH)
    assert url == "https://nl.example.test/network/v1/inbox"
    assert is_canonical_url(url)
    assert not is_canonical_url("https://NL.example.test/network/v1/inbox")


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8001", True),
        ("http://127.8.9.1", True),
        ("http://[::1]:8000", True),
        ("http://localhost:8000", True),
        ("http://se.localhost", True),
        ("http://192.0.2.1", False),
        ("https://nl.example.test", False),
        ("http://localhost.example.test", False),
    ],
)
def test_loopback(url, loopback):
    assert is_loopback_url(url) is loopback
