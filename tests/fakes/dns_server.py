"""A real DNS server on 127.0.0.1 (UDP and TCP, one random port) with a small zone resolver of our own.

dnslib's own zone resolver neither follows CNAMEs nor tells NODATA from NXDOMAIN, so this one does:

- ``recursive`` names answer with the whole CNAME chain and the final records, as a recursive
  resolver would; names listed in ``authoritative_only`` answer with one CNAME hop only, so the
  client has to ask again for the target (this is how loops and long chains are exercised);
- a name that exists with other types gets NOERROR and no answer (NODATA); an unknown name NXDOMAIN;
- names in ``silent`` never get an answer (the client times out);
- names in ``malformed`` get a reply whose answer record is cut short (not a valid DNS message);
- ``servfail`` names get SERVFAIL;
- ``truncate_udp`` names answer over UDP with the TC flag and no records (the client retries over TCP);
- ``*.suffix`` entries act as DNS wildcards.

Only documentation addresses and reserved names belong in a zone (see BRIEF.md).

    with FakeDnsServer({"www.example.test": [("A", "192.0.2.10")]}) as dns:
        settings.HOTLINE_DNS_SERVERS = dns.address   # "127.0.0.1:PORT"
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSError, DNSRecord
from dnslib.server import DNSHandler, DNSLogger, DNSServer

Zone = dict[str, list[tuple[str, str]]]


def _norm(name: str) -> str:
    return name.rstrip(".").lower()


@dataclass
class QueryLog:
    name: str
    qtype: str
    protocol: str


@dataclass
class HotlineTestResolver:
    """The zone and its behaviours; `queries` records every question asked (thread-safe append)."""

    zone: Zone
    silent: set[str] = field(default_factory=set)
    malformed: set[str] = field(default_factory=set)
    servfail: set[str] = field(default_factory=set)
    authoritative_only: set[str] = field(default_factory=set)
    truncate_udp: set[str] = field(default_factory=set)
    ttl: int = 60
    queries: list[QueryLog] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.zone = {_norm(k): list(v) for k, v in self.zone.items()}
        self.silent = {_norm(n) for n in self.silent}
        self.malformed = {_norm(n) for n in self.malformed}
        self.servfail = {_norm(n) for n in self.servfail}
        self.authoritative_only = {_norm(n) for n in self.authoritative_only}
        self.truncate_udp = {_norm(n) for n in self.truncate_udp}
        self.lock = threading.Lock()

    # --- zone editing (tests move hosting between traces) -----------------------------------
    def set(self, name: str, records: Iterable[tuple[str, str]]) -> None:
        with self.lock:
            self.zone[_norm(name)] = list(records)

    def remove(self, name: str) -> None:
        with self.lock:
            self.zone.pop(_norm(name), None)

    def names_asked(self) -> list[str]:
        return [q.name for q in self.queries]

    # --- lookup -----------------------------------------------------------------------------
    def _records(self, name: str) -> list[tuple[str, str]] | None:
        if name in self.zone:
            return self.zone[name]
        labels = name.split(".")
        for i in range(1, len(labels)):
            wildcard = "*." + ".".join(labels[i:])
            if wildcard in self.zone:
                return self.zone[wildcard]
        return None

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord | bytes | None:
        qname = _norm(str(request.q.qname))
        qtype = QTYPE[request.q.qtype]
        self.queries.append(QueryLog(qname, qtype, getattr(handler, "protocol", "?")))
        if qname in self.silent:
            return None
        reply = request.reply()
        if qname in self.malformed:
            # A real-looking reply (same id and question) whose A record is cut short: the header
            # promises 4 bytes of address, the message ends after 2. Parsers must reject it.
            reply.add_answer(*RR.fromZone(f"{qname}. {self.ttl} IN A 192.0.2.254"))
            return bytes(reply.pack()[:-2])
        if qname in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        name = qname
        seen: set[str] = set()
        with self.lock:
            for _ in range(32):  # a recursive resolver gives up on very long chains too
                records = self._records(name)
                if records is None:
                    reply.header.rcode = RCODE.NXDOMAIN
                    return reply
                cnames = [value for rtype, value in records if rtype == "CNAME"]
                if cnames and qtype != "CNAME":
                    target = _norm(cnames[0])
                    reply.add_answer(*RR.fromZone(f"{name}. {self.ttl} IN CNAME {target}."))
                    if name in self.authoritative_only or target in seen:
                        return reply
                    seen.add(name)
                    name = target
                    continue
                for rtype, value in records:
                    if rtype == qtype:
                        if rtype == "TXT":
                            value = f'"{value}"'
                        reply.add_answer(*RR.fromZone(f"{name}. {self.ttl} IN {rtype} {value}"))
                if qname in self.truncate_udp and getattr(handler, "protocol", "") == "udp":
                    return reply.truncate()  # TC set, no records: the client must ask again over TCP
                return reply  # NOERROR, with the records or none (NODATA)
        reply.header.rcode = RCODE.SERVFAIL
        return reply


class _Handler(DNSHandler):
    """dnslib's handler, plus: no reply at all (None) and raw bytes (malformed answers)."""

    def get_reply(self, data: bytes) -> bytes:
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        if reply is None:
            raise DNSError("silent name: no answer")  # dnslib logs it and sends nothing
        if isinstance(reply, (bytes, bytearray)):
            return bytes(reply)
        return reply.pack()


class _QuietLogger(DNSLogger):
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)


class FakeDnsServer:
    """UDP and TCP dnslib servers on the same random loopback port, in background threads."""

    def __init__(
        self,
        zone: Zone,
        *,
        silent: Iterable[str] = (),
        malformed: Iterable[str] = (),
        servfail: Iterable[str] = (),
        authoritative_only: Iterable[str] = (),
        truncate_udp: Iterable[str] = (),
        host: str = "127.0.0.1",
    ):
        self.resolver = HotlineTestResolver(
            zone=zone,
            silent=set(silent),
            malformed=set(malformed),
            servfail=set(servfail),
            authoritative_only=set(authoritative_only),
            truncate_udp=set(truncate_udp),
        )
        self.host = host
        self.port = 0
        self._servers: list[DNSServer] = []

    @property
    def address(self) -> str:
        """The value for HOTLINE_DNS_SERVERS."""
        return f"{self.host}:{self.port}"

    @property
    def queries(self) -> list[QueryLog]:
        return self.resolver.queries

    def start(self) -> FakeDnsServer:
        for _ in range(20):  # the UDP port picked by the kernel may be taken for TCP: try another
            udp = DNSServer(self.resolver, address=self.host, port=0, handler=_Handler, logger=_QuietLogger())
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(
                    self.resolver, address=self.host, port=port, tcp=True, handler=_Handler, logger=_QuietLogger()
                )
            except OSError:
                udp.server.server_close()
                continue
            self.port = port
            self._servers = [udp, tcp]
            for server in self._servers:
                # a short poll interval keeps stop() fast (socketserver's default is 0.5 s)
                thread = threading.Thread(
                    target=server.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
                )
                thread.start()
            return self
        raise RuntimeError("could not bind UDP and TCP on one loopback port")

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
            server.server.server_close()
        self._servers = []

    def __enter__(self) -> FakeDnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ask(server: FakeDnsServer, name: str, qtype: str = "A", *, tcp: bool = False, timeout: float = 2.0) -> DNSRecord:
    """Send one question with dnslib (for checking the fake itself)."""
    data = DNSRecord.question(name, qtype).send(server.host, server.port, tcp=tcp, timeout=timeout)
    return DNSRecord.parse(data)


__all__ = ["FakeDnsServer", "HotlineTestResolver", "QueryLog", "ask"]
