"""One trace on the network side, with no database writes: DNS, then per address country/ASN, RDAP, CDN.

`trace_network(host)` never raises for known failures: it returns a TraceOutcome whose `failure`
says what went wrong (the DNS failure, or the first RDAP failure worth a retry).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from hotline.tracing import conf, geo, rdap
from hotline.tracing.cdn import CdnMatch, load_catalogue
from hotline.tracing.failures import FailureCode, TraceFailure
from hotline.tracing.resolver import resolve_host
from hotline.tracing.rules import is_ip_literal

RETRYABLE_RDAP = frozenset(
    {FailureCode.RDAP_UNAVAILABLE, FailureCode.RDAP_TIMEOUT, FailureCode.RDAP_MALFORMED, FailureCode.RDAP_BOOTSTRAP}
)


@dataclass
class AddressFacts:
    ip: str
    record_type: str  # "A", "AAAA" or "literal" (the host is an IP address)
    country: str = ""
    country_method: str = ""  # mmdb, iptocc, rdap
    asn: int | None = None
    as_org: str = ""
    network: rdap.RdapNetwork | None = None
    rdap_status: str = ""  # ok, cached, not_found, no_service, or a FailureCode
    rdap_reason: str = ""
    cdn: CdnMatch | None = None

    @property
    def methods(self) -> dict[str, str]:
        """How each fact was found."""
        out = {"ip": "literal" if self.record_type == "literal" else "dns"}
        if self.country:
            out["country"] = self.country_method
        if self.asn is not None:
            out["asn"] = "mmdb"
        if self.network and self.network.found:
            out["network"] = "rdap"
            if self.network.abuse_email:
                # where in the answer: rdap (an entity with the abuse role), rdap:remarks, rdap:abuse_mailbox
                source = self.network.abuse_source
                out["abuse"] = "rdap" if source in ("", rdap.ABUSE_FROM_ROLE) else f"rdap:{source}"
            if self.network.holder:
                out["holder"] = "rdap"
        if self.cdn:
            out["cdn"] = self.cdn.matched_by
        return out

    @property
    def method(self) -> str:
        order = ["dns", "literal", "iptocc", "mmdb", "rdap"]
        used = set(self.methods.values()) & set(order)
        return "+".join(m for m in order if m in used)


@dataclass
class TraceOutcome:
    host: str
    started_at: datetime
    finished_at: datetime | None = None
    cname_chain: list[str] = field(default_factory=list)
    addresses: list[AddressFacts] = field(default_factory=list)
    failure: TraceFailure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


def _rdap_cache_key(ip: str) -> str:
    return f"tracing:rdap:{ip}"


def trace_network(host: str) -> TraceOutcome:
    """Trace `host` (a normalised host name or IP literal). Contacts only DNS resolvers and RDAP servers."""
    outcome = TraceOutcome(host=host, started_at=timezone.now())
    deadline = time.monotonic() + conf.trace_budget()
    try:
        if is_ip_literal(host):
            outcome.cname_chain = [host]
            pairs = [(host, "literal")]
        else:
            resolution = resolve_host(host, conf.dns_config())
            outcome.cname_chain = resolution.cname_chain
            outcome.notes.extend(resolution.notes)
            pairs = resolution.addresses
    except TraceFailure as failure:
        outcome.failure = failure
        outcome.finished_at = timezone.now()
        return outcome

    limit = conf.max_addresses()
    if len(pairs) > limit:
        outcome.notes.append(f"{len(pairs) - limit} more addresses not traced (HOTLINE_TRACE_MAX_ADDRESSES={limit})")
        pairs = pairs[:limit]

    paths = conf.geoip_paths()
    catalogue = load_catalogue(conf.cdn_data_path())
    client = rdap.RdapClient(
        config=conf.rdap_config(), forbidden_hosts=frozenset({host.lower(), *(ip for ip, _ in pairs)})
    )
    ttl_seconds = int(conf.trace_ttl().total_seconds())
    seen_networks: list[rdap.RdapNetwork] = []
    for ip, record_type in pairs:
        facts = AddressFacts(ip=ip, record_type=record_type)
        located = geo.locate(ip, paths)
        facts.country, facts.country_method = located.country, located.country_method
        facts.asn, facts.as_org = located.asn, located.as_org
        _add_rdap(facts, client, seen_networks, deadline, ttl_seconds)
        if not facts.country and facts.network and facts.network.country:
            facts.country, facts.country_method = facts.network.country, "rdap"
        facts.cdn = catalogue.match(
            asn=facts.asn,
            names=outcome.cname_chain,
            network_name=facts.network.name if facts.network else "",
        )
        outcome.addresses.append(facts)
        if outcome.failure is None and facts.rdap_status in RETRYABLE_RDAP:
            outcome.failure = TraceFailure(facts.rdap_status, f"RDAP for {ip}: {facts.rdap_reason}")
    outcome.finished_at = timezone.now()
    return outcome


def _add_rdap(
    facts: AddressFacts,
    client: rdap.RdapClient,
    seen: list[rdap.RdapNetwork],
    deadline: float,
    ttl_seconds: int,
) -> None:
    for known in seen:  # several addresses in one network: one lookup
        if known.contains(facts.ip):
            facts.network, facts.rdap_status = known, "ok"
            return
    cached = cache.get(_rdap_cache_key(facts.ip))
    if isinstance(cached, dict):
        facts.network = rdap.RdapNetwork.from_dict(cached)
        facts.rdap_status = "cached" if facts.network.found else "not_found"
        return
    if time.monotonic() > deadline:
        facts.rdap_status, facts.rdap_reason = FailureCode.RDAP_TIMEOUT, "trace time budget spent before this lookup"
        return
    if not client.config.explicit and not ipaddress.ip_address(facts.ip).is_global:
        facts.rdap_status, facts.rdap_reason = "no_service", "special-use address (private, loopback, documentation)"
        return
    try:
        network = client.lookup(facts.ip)
    except TraceFailure as failure:
        facts.rdap_status, facts.rdap_reason = failure.code, failure.reason
        return
    if network is None:
        facts.rdap_status, facts.rdap_reason = "no_service", "no RDAP service in the bootstrap covers this address"
        return
    facts.network = network
    facts.rdap_status = "ok" if network.found else "not_found"
    if network.found:
        seen.append(network)
    cache.set(_rdap_cache_key(facts.ip), network.to_dict(), timeout=ttl_seconds)
