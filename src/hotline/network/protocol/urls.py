"""The protocol's endpoints and the one spelling of a partner's URL that both ends sign."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

API_PREFIX = "/network/v1"
IDENTITY_PATH = f"{API_PREFIX}/identity"
INBOX_PATH = f"{API_PREFIX}/inbox"
SCHEMAS_PATH = f"{API_PREFIX}/schemas/"

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_base_url(url: str) -> str:
    """A hotline's base URL in the one spelling the protocol signs: lower-case scheme and host, no default
    port, no user, query or fragment, no trailing slash (a path prefix is kept as given).

    `@target-uri` covers scheme, host, port and path as written, so sender and receiver must both build
    the inbox URL from this spelling or the signature base differs by a letter and verification fails.
    Raises ValueError for anything but an absolute http(s) URL with a host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("A base URL is an absolute http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("A base URL has no user name or password.")
    if parts.query or parts.fragment:
        raise ValueError("A base URL has no query or fragment.")
    if not parts.hostname.isascii():
        raise ValueError("A base URL's host is written in ASCII (punycode).")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as e:
        raise ValueError("The base URL's port is not a number from 0 to 65535.") from e
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def endpoint_url(base_url: str, path: str) -> str:
    """The URL of one protocol endpoint (e.g. INBOX_PATH) at a hotline's base URL."""
    return canonical_base_url(base_url) + path


def is_canonical_url(url: str) -> bool:
    """Whether `url` is a canonical base URL followed by a path (and maybe a query): what a signer signs."""
    parts = urlsplit(url)
    if not parts.path or parts.fragment:
        return False
    try:
        base = canonical_base_url(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return False
    return url.startswith(base + "/")


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is a loopback address or `localhost`: the only place plain HTTP may be used
    (outside production)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
