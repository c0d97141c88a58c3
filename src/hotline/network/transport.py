"""The network's only outgoing HTTP: GET a partner's identity document when an administrator registers it, and
POST signed messages to registered partners' inboxes. Never to any other address (never a reported URL),
no redirects followed, bounded in time and size. Plain http only to loopback outside production."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

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


# The worker's deliveries to one partner reuse one kept-alive connection (per thread): no new TCP and TLS
# handshake per message. A connection the partner closed while idle is opened again and the request sent once
# more, which is safe because the inbox is idempotent on (sender, message id).
_connections = threading.local()
_STALE = (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected, http.client.BadStatusLine)


def _open(parts: SplitResult, timeout: float) -> http.client.HTTPConnection:
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return connection_class(parts.hostname or "", parts.port, timeout=timeout)


def _pool() -> dict[tuple[str, str, int | None], http.client.HTTPConnection]:
    pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] | None = getattr(_connections, "pool", None)
    if pool is None:
        pool = _connections.pool = {}
    return pool


def close_connections() -> None:
    """Close this thread's kept-alive connections (tests; a worker's exit closes them anyway)."""
    pool = _pool()
    for connection in pool.values():
        connection.close()
    pool.clear()


def request(
    method: str, url: str, *, headers: dict[str, str], body: bytes = b"", timeout: float, keep_alive: bool = False
) -> Answer:
    """One request; `keep_alive`: over this thread's open connection to that host, kept open afterwards."""
    check_url_allowed(url)
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    key = (parts.scheme, parts.hostname or "", parts.port)
    pool = _pool()
    started = time.monotonic()
    for attempt in (1, 2):
        reused = keep_alive and key in pool
        connection = pool.pop(key) if reused else _open(parts, timeout)
        connection.timeout = timeout
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        try:
            connection.request(method, target, body=body or None, headers={"User-Agent": USER_AGENT, **headers})
            response = connection.getresponse()
            data = response.read(MAX_BODY_BYTES + 1)
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            if reused and attempt == 1 and isinstance(exc, _STALE):
                continue
            raise TransportError(f"{type(exc).__name__}: the partner could not be reached") from exc
        # Kept only when the answer was read to its end and the server keeps the connection open.
        if keep_alive and response.isclosed() and not response.will_close and len(data) <= MAX_BODY_BYTES:
            pool[key] = connection
        else:
            connection.close()
        break
    if len(data) > MAX_BODY_BYTES:
        raise TransportError("The partner's answer is larger than the protocol allows.")
    return Answer(
        status=response.status, headers=answer_headers, body=data, duration_ms=int((time.monotonic() - started) * 1000)
    )
