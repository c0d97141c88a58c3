"""The network's only outgoing HTTP: GET a partner's identity document when an administrator registers it, and
POST signed messages to registered partners' inboxes. Never to any other address (never a reported URL),
no redirects followed, bounded in time and size. Plain http only to loopback outside production."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from hotline.network.protocol import MAX_BODY_BYTES, is_loopback_url

USER_AGENT = "Hotline-network/1"


class TransportError(Exception):
    """No answer: the partner could not be reached, or answered with something that is not HTTP."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    duration_ms: int


def check_url_allowed(url: str) -> None:
    """https everywhere; http only to a loopback address and never in production (docs/network.md)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and is_loopback_url(url) and not settings.PRODUCTION:
        return
    raise TransportError("Partners are reached over https only (plain http only on loopback outside production).")


def request(method: str, url: str, *, headers: dict[str, str], body: bytes = b"", timeout: float) -> Answer:
    check_url_allowed(url)
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request(method, target, body=body or None, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        data = response.read(MAX_BODY_BYTES + 1)
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
    except (OSError, http.client.HTTPException) as exc:
        raise TransportError(f"{type(exc).__name__}: the partner could not be reached") from exc
    finally:
        connection.close()
    if len(data) > MAX_BODY_BYTES:
        raise TransportError("The partner's answer is larger than the protocol allows.")
    return Answer(
        status=response.status, headers=answer_headers, body=data, duration_ms=int((time.monotonic() - started) * 1000)
    )
