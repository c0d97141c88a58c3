"""A real RDAP (RFC 9083) HTTP server on 127.0.0.1 with fixtures for the documentation address ranges.

Serves
- ``/bootstrap.json``: an IANA-style bootstrap (RFC 9224) sending the four documentation ranges here;
- ``/rdap/ip/<address>``: the ``ip network`` object of the fixture network holding the address.

Behaviours by address (all inside 198.51.100.0/24), for failure tests:
  .99 -> 503 (RDAP down)          .98 -> answers after ``slow_seconds`` (timeout)
  .97 -> malformed JSON           .96 -> 404 (no record)
  .95 -> a body larger than 2 MiB .94 -> 302 redirect to a host that is no RDAP server
Every request is recorded in ``requests`` (path only). Made-up networks and reserved domains only.

    with FakeRdapServer() as rdap:
        settings.HOTLINE_RDAP_BOOTSTRAP = rdap.bootstrap_url
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def vcard(fn: str, *, email: str = "", kind: str = "org", email_as_uri: bool = False) -> list[Any]:
    props: list[list[Any]] = [["version", {}, "text", "4.0"], ["fn", {}, "text", fn], ["kind", {}, "text", kind]]
    if email:
        props.append(
            ["email", {"type": "work"}, "uri", f"mailto:{email}"] if email_as_uri else ["email", {}, "text", email]
        )
    return ["vcard", props]


def entity(
    handle: str, roles: list[str], card: list[Any], *, nested: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"objectClassName": "entity", "handle": handle, "roles": roles, "vcardArray": card}
    if nested:
        out["entities"] = nested
    return out


def ip_network(
    *, handle: str, cidr: str, name: str, country: str, entities: list[dict[str, Any]], cidr0: bool = True
) -> dict[str, Any]:
    net = ipaddress.ip_network(cidr)
    doc: dict[str, Any] = {
        "rdapConformance": ["rdap_level_0", "cidr0"] if cidr0 else ["rdap_level_0"],
        "objectClassName": "ip network",
        "handle": handle,
        "startAddress": str(net.network_address),
        "endAddress": str(net.broadcast_address),
        "ipVersion": "v4" if net.version == 4 else "v6",
        "name": name,
        "type": "ASSIGNED PA",
        "country": country,
        "status": ["active"],
        "entities": entities,
        "events": [{"eventAction": "registration", "eventDate": "2020-01-01T00:00:00Z"}],
    }
    if cidr0:
        key = "v4prefix" if net.version == 4 else "v6prefix"
        doc["cidr0_cidrs"] = [{key: str(net.network_address), "length": net.prefixlen}]
    return doc


# RIPE-like: registrant organisation with the abuse role nested inside it.
NETWORK_NL = ip_network(
    handle="EXAMPLE-NL-1",
    cidr="192.0.2.0/24",
    name="EXAMPLE-HOSTING-NL",
    country="NL",
    entities=[
        entity(
            "ORG-EH1-TEST",
            ["registrant"],
            vcard("Example Hosting B.V."),
            nested=[
                entity("AR-EH1-TEST", ["abuse"], vcard("Abuse desk", email="abuse@hosting-nl.example", kind="group"))
            ],
        ),
        entity("TECH-EH1-TEST", ["technical"], vcard("Ops", email="noc@hosting-nl.example", kind="group")),
    ],
)
# ARIN-like: a shallow abuse entity next to the registrant, email given as a mailto: URI, no cidr0.
NETWORK_US = ip_network(
    handle="NET-198-51-100-0-1",
    cidr="198.51.100.0/24",
    name="EXAMPLE-NETWORKS",
    country="US",
    cidr0=False,
    entities=[
        entity("EXN-TEST", ["registrant"], vcard("Example Networks Inc.")),
        entity("ABUSE-EXN-TEST", ["abuse"], vcard("Abuse", email="abuse@networks.example", email_as_uri=True)),
    ],
)
# A CDN's network: the notice goes to the CDN.
NETWORK_CDN = ip_network(
    handle="EXAMPLE-CDN-1",
    cidr="203.0.113.0/24",
    name="EXAMPLE-CDN-NET",
    country="DE",
    entities=[
        entity(
            "ORG-CDN-TEST",
            ["registrant", "administrative"],
            vcard("Example CDN Ltd"),
            nested=[entity("ABUSE-CDN-TEST", ["abuse"], vcard("CDN abuse", email="abuse@cdn.example", kind="group"))],
        )
    ],
)
# IPv6, abuse and registrant on one entity.
NETWORK_V6 = ip_network(
    handle="EXAMPLE-V6-1",
    cidr="2001:db8::/32",
    name="EXAMPLE-V6-SE",
    country="SE",
    entities=[entity("ORG-V6-TEST", ["registrant", "abuse"], vcard("Exempel Hosting AB", email="abuse@v6.example"))],
)

FIXTURES: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, dict[str, Any]]] = [
    (ipaddress.ip_network("192.0.2.0/24"), NETWORK_NL),
    (ipaddress.ip_network("198.51.100.0/24"), NETWORK_US),
    (ipaddress.ip_network("203.0.113.0/24"), NETWORK_CDN),
    (ipaddress.ip_network("2001:db8::/32"), NETWORK_V6),
]

DOWN = "198.51.100.99"
SLOW = "198.51.100.98"
MALFORMED = "198.51.100.97"
NOT_FOUND = "198.51.100.96"
HUGE = "198.51.100.95"
REDIRECT_AWAY = "198.51.100.94"
# Shaped like older RIPE and AFRINIC answers (tests/data/rdap/): addresses written with a prefix length,
# no "abuse" role, the abuse mailbox only in the remarks, and a country that is no code.
LENIENT = "198.51.100.93"
NETWORK_LENIENT = {
    "rdapConformance": ["rdap_level_0"],
    "objectClassName": "ip network",
    "handle": "198.51.100.0 - 198.51.100.255",
    "startAddress": "198.51.100.0/32",
    "endAddress": "198.51.100.255/32",
    "name": "EXAMPLE-OLD-SHAPE",
    "country": "Canada",
    "remarks": [{"description": ["please send abuse reports to abuse@old-shape.example"]}],
    "entities": [entity("MNT-OLD-TEST", ["administrative"], vcard("Old Shape Ltd", email="noc@old-shape.example"))],
}
REDIRECT_TARGET = "http://192.0.2.10/rdap/ip/198.51.100.94"  # never to be followed


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/rdap+json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.requests.append(self.path)
        if self.path == "/bootstrap.json":
            self._send(200, json.dumps(owner.bootstrap()).encode(), "application/json")
            return
        if not self.path.startswith("/rdap/ip/"):
            self._send(404, b'{"errorCode": 404, "title": "Not found"}')
            return
        raw = self.path.removeprefix("/rdap/ip/").split("/")[0]
        try:
            address = ipaddress.ip_address(raw)
        except ValueError:
            self._send(400, b'{"errorCode": 400, "title": "Bad request"}')
            return
        text = str(address)
        if text == DOWN or owner.down:
            self._send(503, b'{"errorCode": 503, "title": "Service unavailable"}')
        elif text == SLOW:
            time.sleep(owner.slow_seconds)
            self._send(200, json.dumps(NETWORK_US).encode())
        elif text == MALFORMED:
            self._send(200, b'{"objectClassName": "ip network", "handle": "BROKEN", "entities": [')
        elif text == NOT_FOUND:
            self._send(404, b'{"errorCode": 404, "title": "Not found"}')
        elif text == HUGE:
            self._send(200, b'{"objectClassName": "ip network", "remarks": "' + b"x" * (2 * 1024 * 1024) + b'"}')
        elif text == LENIENT:
            self._send(200, json.dumps(NETWORK_LENIENT).encode())
        elif text == REDIRECT_AWAY:
            self._send(302, b"", Location=REDIRECT_TARGET)
        else:
            for network, doc in FIXTURES:
                if address.version == network.version and address in network:
                    self._send(200, json.dumps(doc).encode())
                    return
            self._send(404, b'{"errorCode": 404, "title": "Not found"}')


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FakeRdapServer


class FakeRdapServer:
    def __init__(self, *, slow_seconds: float = 3.0, host: str = "127.0.0.1"):
        self.host = host
        self.slow_seconds = slow_seconds
        self.down = False  # True: every lookup answers 503
        self.requests: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bootstrap_url(self) -> str:
        """The value for HOTLINE_RDAP_BOOTSTRAP."""
        return f"{self.base_url}/bootstrap.json"

    def bootstrap(self) -> dict[str, Any]:
        return {
            "version": "1.0",
            "publication": "2026-01-01T00:00:00Z",
            "description": "Test bootstrap for documentation ranges",
            "services": [[[str(network) for network, _ in FIXTURES], [f"{self.base_url}/rdap/"]]],
        }

    def lookups(self) -> list[str]:
        return [p.removeprefix("/rdap/ip/") for p in self.requests if p.startswith("/rdap/ip/")]

    def start(self) -> FakeRdapServer:
        self._server = _Server((self.host, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeRdapServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
