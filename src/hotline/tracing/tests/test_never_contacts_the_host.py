"""The promise: a trace asks DNS resolvers and RDAP servers only; it never connects to the reported host.

Python's audit hooks see every socket connect/sendto and every getaddrinfo of this process, so the
test records them all during a real trace (the worker code, real DNS and RDAP servers on loopback)
and checks each one. The reported host also resolves to 127.0.0.2, where listeners on ports 80 and
443 would notice any connection.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction

from hotline.tracing import services
from hotline.tracing.models import HostingObservation
from tests.fakes import rdap_server as fixtures

_events: list[tuple[str, Any]] | None = None
_thread: int | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    # Only the recording thread (where the worker code runs): the fake servers' own replies are theirs.
    if _events is None or threading.get_ident() != _thread:
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        _events.append((event, args[1]))
    elif event == "socket.getaddrinfo":
        _events.append((event, args[0]))


sys.addaudithook(_hook)  # permanent for the process, but silent unless a test is recording


@contextmanager
def recording() -> Iterator[list[tuple[str, Any]]]:
    global _events, _thread
    _events, _thread = [], threading.get_ident()
    try:
        yield _events
    finally:
        _events, _thread = None, None


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None


@pytest.fixture
def trap() -> Iterator[list[socket.socket]]:
    """Listeners on 127.0.0.2:80 and :443 (the reported host's address in the test zone)."""
    sockets = []
    for port in (80, 443):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.2", port))
        except OSError:
            s.close()
            continue  # not permitted here: the audit hook still proves the point
        s.listen(5)
        s.setblocking(False)
        sockets.append(s)
    yield sockets
    for s in sockets:
        s.close()


def _db_address() -> set[tuple[str, int]]:
    settings = connection.settings_dict
    if settings.get("HOST"):
        return {(str(settings["HOST"]), int(settings.get("PORT") or 5432))}
    return set()


@pytest.mark.django_db
def test_a_trace_talks_only_to_the_dns_and_rdap_servers(world, mmdb, trap, run_tasks):
    with transaction.atomic():
        services.request_trace(host="trap.example.test")
    with recording() as events:
        run_tasks()

    observed = {o.ip for o in HostingObservation.objects.filter(host="trap.example.test")}
    assert observed == {"127.0.0.2", "192.0.2.40"}  # the trace did run and found both addresses

    allowed = {("127.0.0.1", world.dns.port), ("127.0.0.1", world.rdap.port)} | _db_address()
    contacted = {_address(arg) for name, arg in events if name != "socket.getaddrinfo"} - {None}
    assert contacted, "the hook saw no traffic at all: the test would prove nothing"
    assert contacted <= allowed, f"unexpected peers: {contacted - allowed}"
    assert not {a for a in contacted if a[0] in observed}
    looked_up = {str(arg) for name, arg in events if name == "socket.getaddrinfo"}
    assert "trap.example.test" not in looked_up and not (looked_up & observed)

    for listener in trap:
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert world.rdap.lookups() == ["192.0.2.40"]  # 127.0.0.2 is in no bootstrap range: not looked up


@pytest.mark.django_db
def test_an_rdap_redirect_elsewhere_is_not_followed(world, run_tasks):
    with transaction.atomic():
        services.request_trace(host="rdapredirect.example.test")
    with recording() as events:
        run_tasks()
    contacted = {_address(arg) for name, arg in events if name != "socket.getaddrinfo"} - {None}
    target = fixtures.REDIRECT_TARGET.split("/")[2]
    assert target not in {a[0] for a in contacted}
    obs = HostingObservation.objects.get(host="rdapredirect.example.test")
    assert obs.rdap_status == "rdap_refused"
