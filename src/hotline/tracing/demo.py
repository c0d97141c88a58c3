"""Demo hosting facts for the demo cases' hosts (made-up networks, documentation IPs, reserved domains).

Runs after the cases demo. Goes through services.record_outcome (hotline.tracing.factories), so case
countries and audit entries are written the same way a real trace writes them. Idempotent: a host with a
finished trace is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from hotline.cases.models import Case
from hotline.tracing import conf
from hotline.tracing.factories import address_facts, record_trace
from hotline.tracing.failures import FailureCode, TraceFailure
from hotline.tracing.models import OPEN_STATUSES, HostTrace
from hotline.tracing.network_trace import AddressFacts, TraceOutcome
from hotline.tracing.rules import InvalidHost, is_ip_literal, normalise_host

ACTOR = "demo_data"


@dataclass(frozen=True)
class Profile:
    prefix: str  # documentation range the addresses come from
    country: str
    asn: int  # 64496-64511: AS numbers reserved for documentation (RFC 5398)
    as_org: str
    network: str
    cidr: str
    abuse_email: str
    holder: str
    cdn: str = ""


PROFILES = [
    Profile("192.0.2.", "NL", 64501, "Example Hosting NL", "EXAMPLE-HOSTING-NL", "192.0.2.0/24",
            "abuse@hosting-nl.example", "Example Hosting B.V."),
    Profile("198.51.100.", "US", 64502, "Example Networks", "EXAMPLE-NETWORKS", "198.51.100.0/24",
            "abuse@networks.example", "Example Networks Inc."),
    Profile("203.0.113.", "DE", 64500, "Example CDN", "EXAMPLE-CDN-NET", "203.0.113.0/24",
            "abuse@cdn.example", "Example CDN Ltd", cdn="Example CDN"),
    Profile("2001:db8::", "SE", 64503, "Exempel Hosting", "EXEMPEL-HOSTING-SE", "2001:db8::/32",
            "abuse@exempel-hosting.example", "Exempel Hosting AB"),
    Profile("198.51.100.", "BZ", 64504, "Example Offshore", "EXAMPLE-OFFSHORE", "198.51.100.128/25",
            "", "Example Offshore Ltd"),
]  # fmt: skip


def _facts(profile: Profile, n: int, host: str) -> AddressFacts:
    literal = is_ip_literal(host)
    return address_facts(
        ip=host if literal else f"{profile.prefix}{n}",
        country=profile.country,
        asn=profile.asn,
        as_org=profile.as_org,
        network_name=profile.network,
        cidr=profile.cidr,
        holder=profile.holder,
        abuse_email=profile.abuse_email,
        cdn=profile.cdn,
        literal=literal,
    )


def _record(host: str, outcome: TraceOutcome, *, requested_at: datetime, attempts: int = 0) -> None:
    record_trace(host, outcome, requested_at=requested_at, attempts=attempts, actor=ACTOR)


def load(stdout: Any) -> None:
    hosts = []
    for raw in Case.objects.exclude(host="").order_by("host").values_list("host", flat=True).distinct():
        try:
            hosts.append(normalise_host(raw))
        except InvalidHost:
            continue
    now = timezone.now()
    made = 0
    for index, host in enumerate(dict.fromkeys(hosts)):
        if HostTrace.objects.filter(host=host).exclude(status__in=OPEN_STATUSES).exists():
            continue
        chain = [host]
        if index % 7 == 6 and not is_ip_literal(host):
            # One host is gone from DNS: the trace failed after every attempt.
            outcome = TraceOutcome(
                host=host, started_at=now - timedelta(minutes=50), finished_at=now - timedelta(minutes=50)
            )
            outcome.cname_chain = chain
            outcome.failure = TraceFailure(FailureCode.NXDOMAIN, f"{host} does not exist")
            _record(host, outcome, requested_at=now - timedelta(hours=3), attempts=conf.max_attempts() - 1)
            made += 1
            continue
        profile = PROFILES[index % len(PROFILES)]
        if index % 7 == 1:
            # Hosting moved: a week ago the host was in another network.
            earlier = PROFILES[(index + 3) % len(PROFILES)]
            then = now - timedelta(days=8)
            old = TraceOutcome(host=host, started_at=then, finished_at=then, cname_chain=chain)
            old.addresses = [_facts(earlier, 40 + index, host)]
            _record(host, old, requested_at=then - timedelta(minutes=1))
        if profile.cdn and not is_ip_literal(host):
            chain = [host, f"{host.split('.')[0]}.edge.cdn.example"]
        outcome = TraceOutcome(
            host=host, started_at=now - timedelta(minutes=30), finished_at=now - timedelta(minutes=30)
        )
        outcome.cname_chain = chain
        outcome.addresses = [_facts(profile, 10 + index, host)]
        _record(host, outcome, requested_at=now - timedelta(minutes=31))
        made += 1
    stdout.write(f"Tracing: hosting facts for {made} demo host(s).\n")
