"""Reads of the tracing app: the hosting history of a host, its latest trace, and a summary for referrals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.tracing.failures import FailureCode
from hotline.tracing.models import HostingObservation, HostTrace, TraceStatus
from hotline.tracing.rules import InvalidHost, normalise_host

__all__ = ["HostingHistoryEntry", "HostingSummary", "hosting_history", "hosting_summary", "latest_trace", "summary_of"]

OBSERVATION, FAILURE, PENDING = "observation", "failure", "pending"


@dataclass(frozen=True)
class HostingHistoryEntry:
    """One line of a host's hosting history: an address as a trace saw it, a failed trace, or a queued one."""

    kind: str  # "observation", "failure" or "pending"
    host: str
    trace_id: int
    at: datetime  # when found (observation), when it failed (failure), when queued (pending)
    ip: str = ""
    ips: tuple[str, ...] = ()  # every address the same trace found
    record_type: str = ""
    country: str = ""
    asn: int | None = None
    as_org: str = ""
    network_name: str = ""
    network_cidr: str = ""
    abuse_email: str = ""
    holder: str = ""
    cdn_name: str = ""
    origin_hidden: bool = False
    method: str = ""  # e.g. "dns+mmdb+rdap"
    sources: dict[str, str] = field(default_factory=dict)  # fact -> method
    rdap_status: str = ""
    rdap_reason: str = ""
    rdap_server: str = ""
    rdap_problems: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()
    status: str = ""
    failure_code: str = ""
    failure_reason: str = ""
    attempts: int = 0
    next_retry_at: datetime | None = None

    @property
    def is_failure(self) -> bool:
        return self.kind == FAILURE

    @property
    def is_pending(self) -> bool:
        return self.kind == PENDING

    @property
    def failure_label(self) -> str:
        code = self.failure_code or (self.rdap_status if self.rdap_status in FailureCode.values else "")
        return str(FailureCode(code).label) if code in FailureCode.values else ""

    @property
    def rdap_failed(self) -> bool:
        return self.rdap_status in FailureCode.values

    @property
    def rdap_label(self) -> str:
        return str(FailureCode(self.rdap_status).label) if self.rdap_failed else ""


@dataclass(frozen=True)
class HostingSummary:
    """The newest trace that found addresses, in short: what tracing records as the host's facts for the other
    apps (cases.HostFacts, which referrals read)."""

    country: str
    asn: int | None
    network_name: str
    abuse_email: str
    holder: str
    cdn_name: str | None
    origin_hidden: bool
    found_at: datetime
    method: str
    ips: list[str]
    host: str = ""
    trace_id: int | None = None


def _host(host: str) -> str | None:
    try:
        return normalise_host(host)
    except InvalidHost:
        return None


def latest_trace(*, host: str) -> HostTrace | None:
    clean = _host(host)
    return HostTrace.objects.filter(host=clean).first() if clean else None


def _observation_fact(obs: HostingObservation, trace: HostTrace, ips: tuple[str, ...]) -> HostingHistoryEntry:
    sources: dict[str, Any] = obs.sources if isinstance(obs.sources, dict) else {}
    return HostingHistoryEntry(
        kind=OBSERVATION,
        host=obs.host,
        trace_id=trace.pk,
        at=obs.found_at,
        ip=obs.ip,
        ips=ips,
        record_type=obs.record_type,
        country=obs.country,
        asn=obs.asn,
        as_org=obs.as_org,
        network_name=obs.network_name,
        network_cidr=obs.network_cidr,
        abuse_email=obs.abuse_email,
        holder=obs.holder,
        cdn_name=obs.cdn_name,
        origin_hidden=obs.origin_hidden,
        method=obs.method,
        sources={str(k): str(v) for k, v in sources.items()},
        rdap_status=obs.rdap_status,
        rdap_reason=obs.rdap_reason,
        rdap_server=obs.rdap_server,
        rdap_problems=tuple(str(p) for p in obs.rdap_problems) if isinstance(obs.rdap_problems, list) else (),
        cname_chain=tuple(trace.cname_chain or ()),
        status=trace.status,
    )


def hosting_history(*, host: str, limit: int = 30) -> list[HostingHistoryEntry]:
    """The host's hosting history, newest first: per trace, its queued/failed state, then its addresses.

    `limit` bounds the number of traces read (a daily re-check of a long-open case adds one a day).
    """
    clean = _host(host)
    if not clean:
        return []
    facts: list[HostingHistoryEntry] = []
    traces = HostTrace.objects.filter(host=clean).prefetch_related("observations")[:limit]
    for trace in traces:
        observations = sorted(trace.observations.all(), key=lambda o: (-o.found_at.timestamp(), o.position))
        if trace.status in (TraceStatus.PENDING, TraceStatus.RETRYING):
            facts.append(
                HostingHistoryEntry(
                    kind=PENDING,
                    host=clean,
                    trace_id=trace.pk,
                    at=trace.requested_at,
                    status=trace.status,
                    failure_code=trace.failure_code,
                    failure_reason=trace.failure_reason,
                    attempts=trace.attempts,
                    next_retry_at=trace.next_retry_at,
                    cname_chain=tuple(trace.cname_chain or ()),
                )
            )
        elif trace.status == TraceStatus.FAILED or (trace.failure_code and not observations):
            facts.append(
                HostingHistoryEntry(
                    kind=FAILURE,
                    host=clean,
                    trace_id=trace.pk,
                    at=trace.finished_at or trace.requested_at,
                    status=trace.status,
                    failure_code=trace.failure_code,
                    failure_reason=trace.failure_reason,
                    attempts=trace.attempts,
                    cname_chain=tuple(trace.cname_chain or ()),
                )
            )
        by_found: dict[datetime, list[HostingObservation]] = {}
        for obs in observations:
            by_found.setdefault(obs.found_at, []).append(obs)
        for group in by_found.values():  # one group per attempt that found addresses
            ips = tuple(o.ip for o in group)
            facts.extend(_observation_fact(o, trace, ips) for o in group)
    return facts


def hosting_summary(*, host: str) -> HostingSummary | None:
    """Facts of the newest attempt that found addresses (None when no trace has found any).

    With origin_hidden the addresses are the CDN's: the abuse contact is then the CDN's, which is
    where a notice has to go.
    """
    clean = _host(host)
    if not clean:
        return None
    newest = HostingObservation.objects.filter(host=clean).order_by("-found_at", "-trace_id").first()
    if newest is None:
        return None
    current = list(
        HostingObservation.objects.filter(trace_id=newest.trace_id, found_at=newest.found_at).order_by("position")
    )
    return summary_of(current, host=clean)


def summary_of(current: list[HostingObservation], *, host: str) -> HostingSummary:
    """The summary of one attempt's addresses (in answer order): the first address's facts, each missing one
    taken from the next address that has it."""
    primary = current[0]
    cdn = next((o.cdn_name for o in current if o.cdn_name), "")
    return HostingSummary(
        country=primary.country or next((o.country for o in current if o.country), ""),
        asn=primary.asn if primary.asn is not None else next((o.asn for o in current if o.asn is not None), None),
        network_name=primary.network_name or primary.as_org,
        abuse_email=primary.abuse_email or next((o.abuse_email for o in current if o.abuse_email), ""),
        holder=primary.holder or next((o.holder for o in current if o.holder), ""),
        cdn_name=cdn or None,
        origin_hidden=any(o.origin_hidden for o in current),
        found_at=primary.found_at,
        method=primary.method,
        ips=[o.ip for o in current],
        host=host,
        trace_id=primary.trace_id,
    )
