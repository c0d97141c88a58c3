"""Finished hosting traces built one way, for tests, benchmarks and demo data (never used by a request).

Every trace goes through services.record_outcome, so the observations, the host's facts kept by cases, the
cases' hosting country and the audit entry are written exactly as a real trace writes them; only the
network is made up (documentation IP ranges, AS numbers reserved for documentation, reserved names).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hotline.core.audit import SYSTEM
from hotline.tracing.cdn import CdnMatch
from hotline.tracing.models import OPEN_STATUSES, HostTrace
from hotline.tracing.network_trace import AddressFacts, TraceOutcome
from hotline.tracing.rdap import RdapNetwork
from hotline.tracing.rules import is_ip_literal
from hotline.tracing.services import record_outcome


def address_facts(
    *,
    ip: str,
    country: str,
    asn: int | None = 64500,
    as_org: str = "Example Hosting",
    network_name: str = "EXAMPLE-NET",
    cidr: str = "192.0.2.0/24",
    holder: str = "Example Hosting Ltd",
    abuse_email: str = "",
    cdn: str = "",
    literal: bool = False,
) -> AddressFacts:
    """What a trace finds for one address: country and ASN from the database, the network from RDAP."""
    network = RdapNetwork(
        server="rdap.registry.example",
        handle=f"{network_name}-1",
        name=network_name,
        country=country,
        cidr=cidr,
        holder=holder,
        abuse_email=abuse_email,
    )
    return AddressFacts(
        ip=ip,
        record_type="literal" if literal else ("AAAA" if ":" in ip else "A"),
        country=country,
        country_method="mmdb",
        asn=asn,
        as_org=as_org,
        network=network,
        rdap_status="ok",
        cdn=CdnMatch(cdn, "asn") if cdn else None,
    )


def record_trace(
    host: str,
    outcome: TraceOutcome,
    *,
    requested_at: datetime,
    attempts: int = 0,
    reason: str = "demo",
    actor: str = SYSTEM,
) -> HostTrace:
    """One attempt's `outcome` recorded on the host's open trace (made, with `requested_at`, if there is
    none; `attempts` earlier attempts counted) through services.record_outcome."""
    trace = HostTrace.objects.filter(host=host, status__in=OPEN_STATUSES).first()
    if trace is None:
        trace = HostTrace.objects.create(host=host, reason=reason, requested_at=requested_at, attempts=attempts)
    elif attempts:
        HostTrace.objects.filter(pk=trace.pk).update(attempts=attempts)
    return record_outcome(trace_id=trace.pk, outcome=outcome, actor=actor)


def traced_host(
    host: str,
    *,
    country: str,
    ip: str = "192.0.2.10",
    at: datetime | None = None,
    actor: str = SYSTEM,
    **facts: str | int | None,
) -> HostTrace:
    """A successful trace of `host` that found one address (`ip`, `country`; `facts` as for address_facts)."""
    at = at or timezone.now()
    outcome = TraceOutcome(host=host, started_at=at, finished_at=at, cname_chain=[host])
    outcome.addresses = [address_facts(ip=ip, country=country, literal=is_ip_literal(host), **facts)]  # type: ignore[arg-type]
    return record_trace(host, outcome, requested_at=at, reason="triage", actor=actor)
