"""Hosting facts for referrals, read through the tracing app's selector (guarded until it exists)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class HostingFacts:
    """The part of tracing's HostingSummary the referrals need (all optional)."""

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


def _summary_for(host: str) -> Any:
    try:
        from hotline.tracing.selectors import hosting_summary  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        return hosting_summary(host=host)
    except Exception:  # a tracing fault must not block the referral plan
        import logging

        logging.getLogger("hotline.referrals").exception("hosting_summary failed; planning without it.")
        return None


def hosting_facts(*, host: str, fallback_country: str = "") -> HostingFacts:
    """Latest hosting facts for a host name; falls back to the case's stored hosting country."""
    summary = _summary_for(host) if host else None
    if summary is None:
        return HostingFacts(country=(fallback_country or "").upper())
    ips = getattr(summary, "ips", ()) or ()
    return HostingFacts(
        country=(getattr(summary, "country", "") or fallback_country or "").upper(),
        asn=getattr(summary, "asn", None),
        network_name=getattr(summary, "network_name", "") or "",
        abuse_email=(getattr(summary, "abuse_email", "") or "").strip(),
        holder=getattr(summary, "holder", "") or "",
        cdn_name=getattr(summary, "cdn_name", "") or "",
        origin_hidden=bool(getattr(summary, "origin_hidden", False)),
        found_at=getattr(summary, "found_at", None),
        method=str(getattr(summary, "method", "") or ""),
        ips=tuple(str(ip) for ip in ips),
        traced=True,
    )
