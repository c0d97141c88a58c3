"""Where a case's material is hosted, as the referrals see it: the host's newest facts as the cases app keeps
them (cases.HostFacts, written by tracing), falling back to the case's stored hosting country."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline.cases.models import Case
from hotline.cases.selectors import host_facts


@dataclass(frozen=True)
class HostingFacts:
    """What the referrals need to know of where a case's material is hosted (all optional)."""

    country: str = ""
    asn: int | None = None
    network_name: str = ""
    abuse_email: str = ""
    holder: str = ""
    cdn_name: str = ""
    origin_hidden: bool = False
    found_at: datetime | None = None
    method: str = ""
    ips: tuple[str, ...] = field(default_factory=tuple)
    traced: bool = False  # False: only the case's hosting_country (or nothing) was known


def case_hosting(*, case: Case) -> HostingFacts:
    """The latest hosting facts of the case's host; only the case's stored hosting country when none were found."""
    fallback_country = case.hosting_country or ""
    stored = host_facts(host=case.host) if case.host else None
    if stored is None:
        return HostingFacts(country=fallback_country.upper())
    return HostingFacts(
        country=(stored.country or fallback_country).upper(),
        asn=stored.asn,
        network_name=stored.network_name,
        abuse_email=stored.abuse_email.strip(),
        holder=stored.holder,
        cdn_name=stored.cdn_name,
        origin_hidden=stored.origin_hidden,
        found_at=stored.found_at,
        method=stored.method,
        ips=tuple(str(ip) for ip in stored.ips or ()),
        traced=True,
    )
