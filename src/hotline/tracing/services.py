"""Writes of the tracing app: request a trace, record what a trace found, refresh traces of open cases.

Network work (DNS, RDAP) runs outside any transaction; what it found is written in one transaction
together with the audit entry, the cases' hosting country and host facts (through cases.services) and the
retry task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.cases import services as cases_services
from hotline.cases.models import Case, CaseState
from hotline.core import audit
from hotline.core.backoff import backoff
from hotline.core.bulk import insert_rows
from hotline.core.taskqueue import enqueue_many
from hotline.staff.models import StaffUser
from hotline.tracing import conf
from hotline.tracing.failures import FINAL_FAILURES, FailureCode, TraceFailure
from hotline.tracing.models import OPEN_STATUSES, HostingObservation, HostTrace, TraceStatus
from hotline.tracing.network_trace import AddressFacts, TraceOutcome, trace_network
from hotline.tracing.rules import (
    InvalidHost,
    is_fresh,
    normalise_host,
    primary_country,
    should_retry,
)
from hotline.tracing.selectors import HostingSummary, summary_of
from hotline.tracing.tasks import trace_host

__all__ = [
    "InvalidHost",
    "record_outcome",
    "refresh_stale_traces",
    "request_trace",
    "request_traces",
    "run_trace",
    "trace_found_hosts",
]

logger = logging.getLogger("hotline.tracing")
Actor = StaffUser | str


def _enqueue(host: str, run_after: datetime | None = None) -> None:
    (trace_host.using(run_after=run_after) if run_after else trace_host).enqueue(host)


def _is_stuck(trace: HostTrace, now: datetime) -> bool:
    if trace.status == TraceStatus.RETRYING and trace.next_retry_at:
        return now - trace.next_retry_at > conf.stuck_after()
    return now - trace.requested_at > conf.stuck_after()


def request_trace(*, host: str, reason: str = "triage", actor: Actor = audit.SYSTEM) -> None:
    """Queue a trace of `host` unless a fresh result is cached (HOTLINE_TRACE_TTL_HOURS) or one is queued.

    Call it inside the caller's transaction: the trace row and its task commit with it. Idempotent.
    `host` is a plain host name or IP literal; anything else (a URL) raises InvalidHost.
    """
    host = normalise_host(host)
    now = timezone.now()
    with transaction.atomic():
        queued = HostTrace.objects.select_for_update().filter(host=host, status__in=OPEN_STATUSES).first()
        if queued is not None:
            if not _is_stuck(queued, now):
                return
            # Its task was lost (queue purged, worker gone for hours): close it and queue afresh.
            queued.status = TraceStatus.FAILED
            queued.failure_code = FailureCode.INTERNAL
            queued.failure_reason = "queued trace never ran; queued again"
            queued.next_retry_at = None
            queued.save(update_fields=["status", "failure_code", "failure_reason", "next_retry_at"])
            audit.record(
                actor=actor,
                action="tracing.trace_abandoned",
                object_type="host_trace",
                object_id=queued.pk,
                details={"attempts": queued.attempts},
            )
        latest = (
            HostTrace.objects.filter(host=host, status__in=[TraceStatus.OK, TraceStatus.FAILED])
            .exclude(finished_at=None)
            .order_by("-finished_at")
            .first()
        )
        if latest is not None and is_fresh(latest.finished_at, now=now, ttl=conf.trace_ttl()):
            return
        try:
            with transaction.atomic():  # savepoint: a concurrent request may have queued one just now
                trace = HostTrace.objects.create(host=host, reason=reason[:16], requested_at=now)
        except IntegrityError:
            return
        _enqueue(host)
        audit.record(
            actor=actor,
            action="tracing.trace_requested",
            object_type="host_trace",
            object_id=trace.pk,
            details={"reason": trace.reason},
        )


def request_traces(*, hosts: Iterable[str], reason: str = "triage", actor: Actor = audit.SYSTEM) -> None:
    """request_trace for many hosts at once (triage of a batch of reports), in a few queries.

    Same rules as request_trace: a host with a fresh result cached or a trace already queued gets
    nothing new; a queued trace whose task was lost is closed and queued afresh; at most one queued
    trace per host (the database constraint). Call it inside the caller's transaction. Every host is
    checked before anything is written: one that is not a plain host name raises InvalidHost and
    nothing is queued. One audit entry lists the traces queued (ids only, never the hosts).
    """
    wanted = sorted({normalise_host(host) for host in hosts})
    if not wanted:
        return
    now = timezone.now()
    reason = reason[:16]
    with transaction.atomic():
        # Locked in host order, so two batches asking for overlapping hosts cannot deadlock.
        queued = list(
            HostTrace.objects.select_for_update().filter(host__in=wanted, status__in=OPEN_STATUSES).order_by("host")
        )
        stuck = [trace for trace in queued if _is_stuck(trace, now)]
        covered = {trace.host for trace in queued if not _is_stuck(trace, now)}
        if stuck:
            HostTrace.objects.filter(pk__in=[trace.pk for trace in stuck]).update(
                status=TraceStatus.FAILED,
                failure_code=FailureCode.INTERNAL,
                failure_reason="queued trace never ran; queued again",
                next_retry_at=None,
            )
            for trace in stuck:
                audit.record(
                    actor=actor,
                    action="tracing.trace_abandoned",
                    object_type="host_trace",
                    object_id=trace.pk,
                    details={"attempts": trace.attempts},
                )
        candidates = [host for host in wanted if host not in covered]
        if not candidates:
            return
        # is_fresh(latest finished) holds exactly when some finished trace is younger than the TTL.
        fresh = set(
            HostTrace.objects.filter(
                host__in=candidates,
                status__in=[TraceStatus.OK, TraceStatus.FAILED],
                finished_at__gt=now - conf.trace_ttl(),
            )
            .order_by()
            .values_list("host", flat=True)
            .distinct()
        )
        new_hosts = [host for host in candidates if host not in fresh]
        if not new_hosts:
            return
        # SQLite serialises writers: nobody can queue one of these hosts between the read above and this
        # insert, so only PostgreSQL needs the savepoint for a concurrent request that just did.
        race_possible = transaction.get_connection().vendor != "sqlite"
        try:
            with transaction.atomic(savepoint=race_possible):
                traces = [HostTrace(host=host, reason=reason, requested_at=now) for host in new_hosts]
                insert_rows(HostTrace, traces)
        except IntegrityError:
            # Rare: fall back to one host at a time, each of which handles the race on its own.
            for host in new_hosts:
                request_trace(host=host, reason=reason, actor=actor)
            return
        _enqueue_many(new_hosts)
        audit.record(
            actor=actor,
            action="tracing.traces_requested",
            object_type="host_trace",
            object_id=traces[0].pk,
            details={"reason": reason, "traces": [trace.pk for trace in traces]},
        )


def trace_found_hosts(*, hosts: list[str]) -> None:
    """What tracing does with the hosts triage found (cases.hooks.hosts_found): one request_traces for the
    batch; if it refuses the list (one host that is not a plain host name refuses all), each host on its own,
    so the others still get their trace. A refused host is logged by its failure's class only (never the host)
    and its case waits for a human."""
    try:
        request_traces(hosts=hosts)
        return
    except Exception as exc:  # the message may name a host: log only the kind of failure
        logger.warning("Tracing refused the hosts of a triage batch (%s); asking host by host.", type(exc).__name__)
    for host in hosts:
        try:
            request_trace(host=host)
        except Exception as exc:
            logger.warning(
                "Tracing refused a host of a triaged report (%s); the case stays without a trace.", type(exc).__name__
            )


def _enqueue_many(hosts: list[str]) -> None:
    """trace_host.enqueue(host) for every host, as one INSERT (the same task rows)."""
    enqueue_many(trace_host, ([host] for host in hosts))


def run_trace(*, host: str) -> HostTrace | None:
    """The trace task's body: trace the host's queued trace, then record the outcome. Idempotent."""
    host = normalise_host(host)
    trace = HostTrace.objects.filter(host=host, status__in=OPEN_STATUSES).first()
    if trace is None:
        return None  # already done (a duplicate task, or a trace finished by another worker)
    attempts_seen = trace.attempts
    started = timezone.now()
    try:
        outcome = trace_network(host)
    except Exception as exc:  # a bug must not leave the trace queued forever: record it and retry
        # Class name only: the exception's text could name the host being traced.
        logger.error("Trace %s failed unexpectedly (%s).", trace.pk, type(exc).__name__)
        outcome = TraceOutcome(host=host, started_at=started, finished_at=timezone.now())
        outcome.failure = TraceFailure(FailureCode.INTERNAL, f"unexpected {type(exc).__name__}")
    return record_outcome(trace_id=trace.pk, outcome=outcome, attempts_seen=attempts_seen)


def record_outcome(
    *, trace_id: int, outcome: TraceOutcome, attempts_seen: int | None = None, actor: Actor = audit.SYSTEM
) -> HostTrace:
    """Store one attempt's outcome: observations, status, retry (with backoff) and the cases' country."""
    with transaction.atomic():
        trace = HostTrace.objects.select_for_update().get(pk=trace_id)
        if not trace.is_open or (attempts_seen is not None and trace.attempts != attempts_seen):
            return trace  # another worker recorded this attempt already
        finished = outcome.finished_at or timezone.now()
        trace.attempts += 1
        trace.started_at = outcome.started_at
        trace.finished_at = finished
        trace.cname_chain = outcome.cname_chain[:20]
        trace.notes = [n[:300] for n in outcome.notes[:10]]
        observations = [
            _observation(trace, position, facts, finished) for position, facts in enumerate(outcome.addresses)
        ]
        HostingObservation.objects.bulk_create(observations)
        if observations:  # the host's newest facts, for the apps that act on them (referrals)
            _record_host_facts(summary_of(observations, host=trace.host))
        if outcome.failure is None:
            trace.status = TraceStatus.OK
            trace.failure_code = trace.failure_reason = ""
            trace.next_retry_at = None
        else:
            trace.failure_code = outcome.failure.code
            trace.failure_reason = outcome.failure.reason
            if outcome.failure.code not in FINAL_FAILURES and should_retry(
                trace.attempts, max_attempts=conf.max_attempts()
            ):
                trace.status = TraceStatus.RETRYING
                trace.next_retry_at = finished + backoff(trace.attempts, base=conf.retry_base(), cap=conf.retry_cap())
                _enqueue(trace.host, run_after=trace.next_retry_at)
            else:
                trace.status = TraceStatus.FAILED
                trace.next_retry_at = None
        trace.save()
        country = primary_country([o.country for o in observations])
        audit.record(
            actor=actor,
            action="tracing.trace_ok" if trace.status == TraceStatus.OK else "tracing.trace_failed",
            object_type="host_trace",
            object_id=trace.pk,
            details={
                "status": trace.status,
                "attempt": trace.attempts,
                "failure_code": trace.failure_code,
                "addresses": len(observations),
                "country": country,
                "cdn": next((o.cdn_name for o in observations if o.cdn_name), ""),
            },
        )
        if country:  # every open case of the host gets it (cases writes its own table)
            cases_services.set_hosting_country(
                host=trace.host, country=country, actor=actor, now=finished, details={"trace_id": trace.pk}
            )
    return trace


def _record_host_facts(summary: HostingSummary) -> None:
    cases_services.record_host_facts(
        host=summary.host,
        found_at=summary.found_at,
        trace_id=summary.trace_id,
        country=summary.country,
        asn=summary.asn,
        network_name=summary.network_name,
        abuse_email=summary.abuse_email,
        holder=summary.holder,
        cdn_name=summary.cdn_name or "",
        origin_hidden=summary.origin_hidden,
        method=summary.method,
        ips=summary.ips,
    )


def _observation(trace: HostTrace, position: int, facts: AddressFacts, found_at: datetime) -> HostingObservation:
    network = facts.network if facts.network and facts.network.found else None
    abuse = (network.abuse_email if network else "") or (facts.cdn.abuse_email if facts.cdn else "")
    return HostingObservation(
        trace=trace,
        host=trace.host,
        position=position,
        ip=facts.ip,
        record_type=facts.record_type,
        country=facts.country,
        asn=facts.asn,
        as_org=facts.as_org,
        network_name=network.name if network else "",
        network_handle=network.handle if network else "",
        network_cidr=network.cidr if network else "",
        abuse_email=abuse,
        holder=network.holder if network else "",
        cdn_name=facts.cdn.name if facts.cdn else "",
        origin_hidden=facts.cdn is not None,
        rdap_server=facts.network.server if facts.network else "",
        rdap_status=facts.rdap_status,
        rdap_reason=facts.rdap_reason[:500],
        rdap_problems=list(facts.network.problems) if facts.network else [],
        method=facts.method,
        sources=facts.methods,
        found_at=found_at,
    )


def refresh_stale_traces(*, now: datetime | None = None) -> int:
    """Queue traces for hosts of open cases whose last trace is older than the TTL (or missing).

    At most HOTLINE_TRACE_REFRESH_BATCH per run, so a large backlog spreads over several runs.
    """
    now = now or timezone.now()
    cutoff = now - conf.trace_ttl()
    covered_hosts = set(HostTrace.objects.filter(status__in=OPEN_STATUSES).values_list("host", flat=True)) | set(
        HostTrace.objects.filter(status__in=[TraceStatus.OK, TraceStatus.FAILED], finished_at__gte=cutoff).values_list(
            "host", flat=True
        )
    )
    queued = 0
    candidates = (
        Case.objects.exclude(state=CaseState.CLOSED)
        .exclude(host="")
        .order_by("host")
        .values_list("host", flat=True)
        .distinct()
    )
    for host in candidates.iterator(chunk_size=500):
        if host in covered_hosts:
            continue
        try:
            request_trace(host=host, reason="refresh")
        except InvalidHost:
            logger.warning("An open case has a host that cannot be traced; skipped.")
            continue
        queued += 1
        if queued >= conf.refresh_batch():
            break
    return queued
