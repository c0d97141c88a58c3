"""DNS side of a trace: follow the CNAME chain of a host and collect its A and AAAA records.

Questions go only to the configured resolvers (HOTLINE_DNS_SERVERS, else the system's). Nothing
here ever connects to the addresses found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from hotline.tracing.conf import DnsConfig
from hotline.tracing.failures import FailureCode, TraceFailure


@dataclass
class Resolution:
    host: str
    cname_chain: list[str] = field(default_factory=list)  # host first, then each CNAME target
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (ip, "A" | "AAAA"), in answer order
    notes: list[str] = field(default_factory=list)  # partial problems that did not stop the trace

    @property
    def canonical_name(self) -> str:
        return self.cname_chain[-1] if self.cname_chain else self.host


def _servers(config: DnsConfig) -> list[tuple[str, int]]:
    if config.servers:
        return list(config.servers)
    system = dns.resolver.Resolver()  # reads /etc/resolv.conf; no query is sent here
    return [(str(ns), int(system.port)) for ns in system.nameservers]


class _Asker:
    """Asks one question at a time, trying each server in turn until the question's lifetime ends."""

    def __init__(self, config: DnsConfig):
        self.config = config
        self.servers = _servers(config)
        if not self.servers:
            raise TraceFailure(FailureCode.DNS_ERROR, "no DNS resolver configured")

    def ask(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.QueryMessage:
        query = dns.message.make_query(name, rdtype)
        deadline = time.monotonic() + self.config.lifetime
        problems: list[str] = []
        codes: set[str] = set()
        while True:
            for ip, port in self.servers:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    response, _ = dns.query.udp_with_fallback(
                        query, ip, timeout=min(self.config.timeout, remaining), port=port, ignore_unexpected=True
                    )
                except dns.exception.Timeout:
                    codes.add(FailureCode.DNS_TIMEOUT)
                    problems.append(f"{ip}:{port} timed out")
                    continue
                except (dns.exception.FormError, dns.message.BadTSIG, dns.query.BadResponse, EOFError) as exc:
                    codes.add(FailureCode.DNS_MALFORMED)
                    problems.append(f"{ip}:{port} sent a malformed answer ({type(exc).__name__}: {exc})")
                    continue
                except dns.exception.DNSException as exc:
                    codes.add(FailureCode.DNS_MALFORMED)
                    problems.append(f"{ip}:{port} sent an unusable answer ({type(exc).__name__}: {exc})")
                    continue
                except OSError as exc:
                    codes.add(FailureCode.DNS_ERROR)
                    problems.append(f"{ip}:{port} unreachable ({exc.strerror or type(exc).__name__})")
                    continue
                if not isinstance(response, dns.message.QueryMessage):
                    codes.add(FailureCode.DNS_MALFORMED)
                    problems.append(f"{ip}:{port} sent something that is no answer to a query")
                    continue
                rcode = response.rcode()
                if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    return response
                codes.add(FailureCode.DNS_SERVFAIL)
                problems.append(f"{ip}:{port} answered {dns.rcode.to_text(rcode)}")
            if time.monotonic() >= deadline or codes - {FailureCode.DNS_TIMEOUT}:
                break  # only timeouts are worth another round within the lifetime
        for code in (FailureCode.DNS_MALFORMED, FailureCode.DNS_SERVFAIL, FailureCode.DNS_ERROR):
            if code in codes:
                break
        else:
            code = FailureCode.DNS_TIMEOUT
        summary = "; ".join(dict.fromkeys(problems)) or "no answer"
        raise TraceFailure(code, f"{name.to_text(omit_final_dot=True)} {dns.rdatatype.to_text(rdtype)}: {summary}")


# RFC 6761/7686: names public DNS never resolves. .onion never goes to DNS at all; the others only to
# resolvers the operator named (tests and demos serve them from a local DNS server).
ONION = ("onion",)
SPECIAL_USE = ("test", "example", "invalid", "localhost", "local", "home.arpa", "alt")


def special_use(host: str, *, servers_configured: bool) -> str | None:
    """Why `host` must not be sent to DNS, or None."""
    labels = host.lower().rstrip(".")
    if any(labels == s or labels.endswith("." + s) for s in ONION):
        return "an onion service name (RFC 7686): its hosting cannot be located by DNS"
    if not servers_configured and any(labels == s or labels.endswith("." + s) for s in SPECIAL_USE):
        return "a special-use name (RFC 6761) that only a configured resolver (HOTLINE_DNS_SERVERS) may answer"
    return None


def resolve_host(host: str, config: DnsConfig) -> Resolution:
    """Follow CNAMEs (at most config.max_cname hops, over as many questions as needed), then A and AAAA.

    Raises TraceFailure: NXDOMAIN (also for a CNAME pointing nowhere), NODATA for both types,
    timeout, SERVFAIL, malformed answer, CNAME loop or chain too long.
    """
    why_not = special_use(host, servers_configured=bool(config.servers))
    if why_not:
        raise TraceFailure(FailureCode.SPECIAL_USE, f"{host} is {why_not}")
    asker = _Asker(config)
    resolution = Resolution(host=host, cname_chain=[host])
    try:
        name = dns.name.from_text(host)
    except dns.exception.DNSException as exc:
        raise TraceFailure(FailureCode.DNS_ERROR, f"not a DNS name ({exc})") from exc

    # A first, following the chain across questions when a server gives only part of it.
    a_records, name = _follow(asker, name, dns.rdatatype.A, resolution, config.max_cname)
    aaaa_records: list[str] = []
    try:
        aaaa_response = asker.ask(name, dns.rdatatype.AAAA)
    except TraceFailure as failure:
        if not a_records:
            raise
        resolution.notes.append(f"AAAA: {failure.reason}")  # the IPv4 answer still stands
    else:
        if aaaa_response.rcode() == dns.rcode.NOERROR:
            aaaa_records = _records_at(aaaa_response, name, dns.rdatatype.AAAA)
    resolution.addresses = [(ip, "A") for ip in a_records] + [(ip, "AAAA") for ip in aaaa_records]
    if not resolution.addresses:
        raise TraceFailure(
            FailureCode.NO_ADDRESS, f"{resolution.canonical_name} has no A or AAAA records (NOERROR, no data)"
        )
    return resolution


def _follow(
    asker: _Asker, name: dns.name.Name, rdtype: dns.rdatatype.RdataType, resolution: Resolution, max_cname: int
) -> tuple[list[str], dns.name.Name]:
    while True:
        response = asker.ask(name, rdtype)
        try:
            chaining = response.resolve_chaining()
        except (dns.message.ChainTooLong, dns.exception.FormError, dns.message.AnswerForNXDOMAIN) as exc:
            code = FailureCode.CNAME_LOOP if isinstance(exc, dns.message.ChainTooLong) else FailureCode.DNS_MALFORMED
            raise TraceFailure(code, f"{name.to_text(omit_final_dot=True)}: {type(exc).__name__}") from exc
        for rrset in chaining.cnames:
            target = rrset[0].target.to_text(omit_final_dot=True).lower()
            if target in resolution.cname_chain:
                raise TraceFailure(
                    FailureCode.CNAME_LOOP, "CNAME loop: " + " → ".join([*resolution.cname_chain, target])
                )
            resolution.cname_chain.append(target)
            if len(resolution.cname_chain) - 1 > max_cname:
                raise TraceFailure(FailureCode.CNAME_LOOP, f"CNAME chain longer than {max_cname} hops")
        name = chaining.canonical_name
        if response.rcode() == dns.rcode.NXDOMAIN:
            via = f" (via {' → '.join(resolution.cname_chain)})" if len(resolution.cname_chain) > 1 else ""
            raise TraceFailure(FailureCode.NXDOMAIN, f"{name.to_text(omit_final_dot=True)} does not exist{via}")
        if chaining.answer is not None:
            return [rd.to_text() for rd in chaining.answer], name
        if chaining.cnames:
            continue  # the server stopped at a CNAME whose target it does not serve: ask for the target
        return [], name  # NODATA for this type


def _records_at(response: dns.message.QueryMessage, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> list[str]:
    try:
        chaining = response.resolve_chaining()
    except dns.exception.DNSException:
        return []
    if chaining.answer is None:
        return []
    return [rd.to_text() for rd in chaining.answer]
