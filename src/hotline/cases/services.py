"""Writes about cases: triage, the state machine, claims, assessments and reviews, notes, exposure, and the
writes other apps ask of cases (the cases app is the only writer of its tables).

Every function here runs in one transaction and records an audit entry in it; record_case_event and
record_host_facts are part of their caller's change and run in its audited transaction. The errors they
raise live in cases.errors (imported here, so `services.CaseError` and the rest keep working).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import conf, hooks
from hotline.cases.canonical import UnacceptableUrl, canonicalize_url, is_public_host
from hotline.cases.errors import CaseClaimed, CaseError, InvalidTransition, NotClaimed, ReviewRefused, StaleCase
from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseEvent,
    CaseNote,
    CaseState,
    Channel,
    CloseReason,
    ExposureSession,
    HostFacts,
    NexusHint,
    Report,
    ReportedUrl,
    ReporterMessage,
)
from hotline.cases.priority import PrioritySignals, case_priority
from hotline.cases.rules import add_channel, needs_four_eyes
from hotline.cases.tasks import triage_reports
from hotline.core import audit, taskqueue
from hotline.core.authz import SUPERVISOR
from hotline.core.bulk import insert_rows, update_rows
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.staff.models import StaffUser

logger = logging.getLogger("hotline.cases")

SYSTEM = "system"
TRIAGE_ATTEMPTS = 3
TRIAGE_REPORT_FIELDS = (
    "pk",
    "triaged_at",
    "situation_case",
    "kind",
    "channel",
    "source_name",
    "received_at",
    "nexus_victim",
    "nexus_offender",
    "nexus_place",
)

# Allowed transitions. Reopening (closed -> triaged) happens when a closed URL is reported again.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.NEW: frozenset({CaseState.TRIAGED, CaseState.CLOSED}),
    CaseState.TRIAGED: frozenset({CaseState.IN_ASSESSMENT, CaseState.CLOSED}),
    CaseState.IN_ASSESSMENT: frozenset({CaseState.ASSESSED, CaseState.TRIAGED, CaseState.CLOSED}),
    CaseState.ASSESSED: frozenset({CaseState.REFERRED, CaseState.IN_ASSESSMENT, CaseState.CLOSED}),
    CaseState.REFERRED: frozenset({CaseState.MONITORING, CaseState.IN_ASSESSMENT, CaseState.CLOSED}),
    CaseState.MONITORING: frozenset({CaseState.CLOSED, CaseState.REFERRED, CaseState.IN_ASSESSMENT}),
    CaseState.CLOSED: frozenset({CaseState.TRIAGED}),
}

# Status-only actions: closing without opening the assessment page (no exposure needed).
STATUS_ONLY_CLOSE_REASONS = (
    CloseReason.DUPLICATE,
    CloseReason.NOT_ILLEGAL,
    CloseReason.UNREACHABLE,
    CloseReason.NO_ACTION_POSSIBLE,
)
PARTNER_CHANNELS = frozenset({Channel.API, Channel.NETWORK})
NOTE_MAX_LENGTH = 10_000


def _bump_version(case_id: int) -> None:
    Case.objects.filter(pk=case_id).update(version=F("version") + 1, updated_at=timezone.now())


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise StaleCase()


# --- the state machine ---------------------------------------------------------------------------
def transition_case(
    *,
    case: Case,
    to_state: str,
    actor: StaffUser | str | None,
    close_reason: str = "",
    details: dict[str, Any] | None = None,
) -> Case:
    """Move a case to `to_state` (row locked, audited, on the timeline). Raises InvalidTransition."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        from_state = locked.state
        if to_state not in TRANSITIONS.get(from_state, frozenset()):
            raise InvalidTransition(
                _("A case in state “%(from)s” cannot move to “%(to)s”.")
                % {"from": CaseState(from_state).label, "to": CaseState(to_state).label}
            )
        if to_state == CaseState.CLOSED:
            if close_reason not in CloseReason.values:
                raise InvalidTransition(_("Choose why the case is closed."))
        else:
            close_reason = ""
        now = timezone.now()
        locked.state = to_state
        locked.close_reason = close_reason
        locked.state_changed_at = now
        locked.version += 1
        if to_state == CaseState.CLOSED:
            locked.claimed_by = None
            locked.claimed_until = None
        locked.save(
            update_fields=[
                "state",
                "close_reason",
                "state_changed_at",
                "claimed_by",
                "claimed_until",
                "version",
                "updated_at",
            ]
        )
        event_details = {**(details or {}), **({"close_reason": close_reason} if close_reason else {})}
        CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=actor if isinstance(actor, StaffUser) else None,
            kind="transition",
            from_state=from_state,
            to_state=to_state,
            details=event_details,
        )
        audit.record(
            actor=actor,
            action="case.transition",
            object_type="case",
            object_id=locked.pk,
            details={"from": from_state, "to": to_state, **event_details},
        )
    case.refresh_from_db()
    return case


# --- triage ------------------------------------------------------------------------------------------
# How far into the queue (times the batch size) a batch looks for the tasks of its reports: room for the
# batches of a few workers running side by side on PostgreSQL.
SIBLING_WINDOW = 4
REPORTED_URL_FIELDS = ("pk", "report", "position", "url", "case", "problem")
# What triage changes on a case that already exists (update_rows writes these).
CASE_COUNT_FIELDS = (
    "report_count",
    "independent_reporters",
    "channels",
    "nexus_hint",
    "nexus_victim_hint",
    "nexus_offender_hint",
    "nexus_place_hint",
    "queued_at",
    "last_reported_at",
    "priority",
    "version",
    "updated_at",
)


@dataclass
class TriageResult:
    report_id: int
    case_ids: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    problems: int = 0
    already_done: bool = False
    missing: bool = False


@dataclass
class TriageBatchResult:
    """What one batch did. `results` holds every report it triaged, and always its first report."""

    results: dict[int, TriageResult] = field(default_factory=dict)
    triaged: list[int] = field(default_factory=list)  # report ids triaged by this batch
    created: list[int] = field(default_factory=list)  # case ids
    reopened: list[int] = field(default_factory=list)
    attached: list[int] = field(default_factory=list)  # cases that existed before and gained a report
    problems: int = 0
    sibling_tasks: int = 0  # queued triage tasks of the batch's other reports, marked done


def _hint(value: str) -> bool:
    return value == NexusHint.YES


def priority_signals(case: Case, *, now: datetime) -> PrioritySignals:
    """What the priority rule looks at, taken from the case's own columns (no extra query)."""
    channels = case.channel_list
    queued_at = case.queued_at or case.created_at
    return PrioritySignals(
        kind=case.kind,
        nexus_victim=NexusHint.YES if case.nexus_victim_hint else NexusHint.UNKNOWN,
        nexus_offender=NexusHint.YES if case.nexus_offender_hint else NexusHint.UNKNOWN,
        nexus_place=NexusHint.YES if case.nexus_place_hint else NexusHint.UNKNOWN,
        from_partner_hotline=Channel.NETWORK in channels,
        independent_reporters=case.independent_reporters,
        distinct_channels=len(channels),
        hash_list_match=False,  # set once hash lists (intel) exist
        known_url_match=False,
        hours_in_queue=max(0.0, (now - queued_at).total_seconds() / 3600),
    )


def _apply_nexus_hints(case: Case, report: Report) -> None:
    case.nexus_victim_hint = case.nexus_victim_hint or _hint(report.nexus_victim)
    case.nexus_offender_hint = case.nexus_offender_hint or _hint(report.nexus_offender)
    case.nexus_place_hint = case.nexus_place_hint or _hint(report.nexus_place)
    case.nexus_hint = case.nexus_victim_hint or case.nexus_offender_hint or case.nexus_place_hint


def compute_priority(case: Case, *, now: datetime | None = None) -> int:
    return case_priority(priority_signals(case, now=now or timezone.now()))


def _new_case(report: Report, now: datetime, **extra: Any) -> Case:
    case = Case(
        kind=report.kind,
        state=CaseState.TRIAGED,
        created_at=report.received_at,
        queued_at=report.received_at,
        state_changed_at=now,
        report_count=1,
        independent_reporters=1,
        channels=add_channel("", report.channel),
        last_reported_at=report.received_at,
        **extra,
    )
    _apply_nexus_hints(case, report)
    return case


def _created_events(case: Case, report: Report, now: datetime, events: list[CaseEvent]) -> None:
    events.append(
        CaseEvent(case=case, at=now, kind="report_attached", details={"report": report.pk, "channel": report.channel})
    )
    events.append(
        CaseEvent(
            case=case,
            at=now,
            kind="transition",
            from_state=CaseState.NEW,
            to_state=CaseState.TRIAGED,
            details={"by": "triage"},
        )
    )


# --- the hand-off from intake: each stored report queues a run of triage_reports ----------------------
# A report still untriaged this long after it arrived lost its task (e.g. a failed run): queue it again.
STRAGGLER_AGE = timedelta(minutes=10)
STRAGGLER_BATCH = 500


def queue_triage(report_ids: Sequence[int]) -> int:
    """Queue triage of these stored reports in the caller's transaction (one INSERT: the rows of
    triage_reports.enqueue(id) each). Returns how many were queued."""
    return taskqueue.enqueue_many(triage_reports, ([report_id] for report_id in report_ids))


def triage_run_row() -> taskqueue.QueuedRun | None:
    """The run of triage_reports that intake's one-statement report write (intake.store) inserts together with
    the report, its argument the id the report's INSERT returns; None when tasks are not in the database."""
    return taskqueue.queued_run(triage_reports)


def requeue_untriaged_reports(*, now: datetime | None = None) -> int:
    """Nothing acknowledged is lost: queue triage again for reports whose task never completed."""
    cutoff = (now or timezone.now()) - STRAGGLER_AGE
    ids = list(
        Report.objects.filter(triaged_at=None, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:STRAGGLER_BATCH]
    )
    with transaction.atomic():
        queue_triage(ids)
    if ids:
        logger.warning("Re-queued triage for %d report(s) left untriaged.", len(ids))
    return len(ids)


def triage_report(*, report_id: int) -> TriageResult:
    """Turn one report into cases: a batch of one (see triage_batch). Returns what happened to that report."""
    return triage_batch(first_report_id=report_id, limit=1).results[report_id]


def triage_batch(*, first_report_id: int, limit: int | None = None) -> TriageBatchResult:
    """Triage `first_report_id` and up to limit-1 other untriaged reports (oldest first) in ONE transaction.

    One case per canonical URL (deduplicated, also within the batch), a case of its own for a report
    without URL; duplicates, channels and independent reporters counted; a closed case reported again
    is reopened ("seen again"). A URL that cannot be canonicalised gets a case of its own that records
    the reason and waits for a human; it never makes the task fail. Idempotent: a triaged report is
    left alone. Concurrency: the batch's reports are row-locked (PostgreSQL: other workers skip them),
    url_index is unique; a batch that loses an insert race is rolled back and run again, and then
    attaches to the winner's case. The queued triage tasks of the other reports are marked done in
    the same transaction, and one audit entry records the whole batch (ids and facts only).
    """
    limit = conf.triage_batch_limit() if limit is None else max(1, min(conf.MAX_TRIAGE_BATCH, limit))
    for attempt in range(TRIAGE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _TriageBatch(first_report_id, limit).run()
        except IntegrityError:
            if attempt == TRIAGE_ATTEMPTS - 1:
                raise
            logger.info("Triage batch of report %s met a concurrent write; trying again.", first_report_id)
    raise AssertionError("unreachable")


# --- bulk writes without bulk_create's and bulk_update's per-value SQL compilation -------------------
# Triage writes hundreds of rows per batch; Django's bulk_create/bulk_update spend tens of microseconds
# per value building SQL (bulk_update: a CASE WHEN per row and field), which made up most of a batch's
# time. These two build one statement and prepare values with each field's own get_db_prep_save, so
# rows are stored exactly as save()/bulk_create store them. Only quoted identifiers from the model's
# metadata go into the SQL text; every value is a parameter.
class _TriageBatch:
    """One run of triage_batch: reads everything it needs in a few queries, decides in memory, writes in bulk."""

    def __init__(self, first_report_id: int, limit: int):
        self.first_report_id = first_report_id
        self.limit = limit
        self.now = timezone.now()
        self.out = TriageBatchResult()
        self.events: list[CaseEvent] = []
        self.new_cases: list[Case] = []
        self.by_index: dict[str, Case] = {}  # url_index -> case (existing and locked, or new in this batch)
        self.attached: dict[int, Case] = {}  # existing cases that gain a report, by pk
        # (id(case), channel, source) of partner reports already on a case: they count as one reporter.
        self.sources: set[tuple[int, str, str]] = set()
        self.trace_hosts: set[str] = set()
        self.url_links: list[tuple[ReportedUrl, Case]] = []
        self.situation_links: list[tuple[Report, Case]] = []
        self.cases_of: dict[int, list[Case | int]] = {}  # report id -> its cases (objects, or ids already linked)
        self.created_by: dict[int, list[Case]] = {}

    # --- reading ---
    def run(self) -> TriageBatchResult:
        reports = self._lock_reports()
        if not reports:
            return self.out
        urls = self._reported_urls(reports)
        canonical = self._canonicalise(urls)
        self._lock_existing_cases({entry[1] for entry in canonical.values() if not isinstance(entry, str)})
        self._partner_sources(reports)
        for report in reports:
            self._triage(report, urls.get(report.pk, []), canonical)
        self._write(reports, urls)
        return self.out

    def _lock_reports(self) -> list[Report]:
        first_id = self.first_report_id
        first = TriageResult(report_id=first_id)
        self.out.results[first_id] = first
        # Only what triage needs: the report's encrypted texts are not decrypted here.
        fields = Report.objects.only(*TRIAGE_REPORT_FIELDS)
        found = list(fields.select_for_update().filter(pk=first_id).order_by()[:1])
        reports = []
        if not found:
            logger.warning("Report %s to triage does not exist (deleted?); nothing to do.", first_id)
            first.missing = True
        elif found[0].triaged_at is not None:
            first.already_done = True
            first.case_ids = sorted(
                set(found[0].urls.exclude(case=None).values_list("case_id", flat=True))
                | ({found[0].situation_case_id} if found[0].situation_case_id else set())
            )
        else:
            reports.append(found[0])
        if self.limit > 1:
            # Oldest first (the partial index of untriaged reports); on PostgreSQL rows another worker
            # holds are skipped, so two workers drain disjoint batches. SQLite serialises writers anyway.
            reports += list(
                fields.select_for_update(skip_locked=True)
                .filter(triaged_at=None)
                .exclude(pk=first_id)
                .order_by("received_at")[: self.limit - 1]
            )
        # The oldest report of a URL creates its case (created_at, age in queue), whichever task ran.
        reports.sort(key=lambda r: (r.received_at, r.pk))
        return reports

    def _reported_urls(self, reports: list[Report]) -> dict[int, list[ReportedUrl]]:
        urls: dict[int, list[ReportedUrl]] = {}
        rows = (
            ReportedUrl.objects.only(*REPORTED_URL_FIELDS)
            .filter(report_id__in=[r.pk for r in reports])
            .order_by("report_id", "position")
        )
        for reported in rows:
            urls.setdefault(reported.report_id, []).append(reported)
        return urls

    def _canonicalise(self, urls: dict[int, list[ReportedUrl]]) -> dict[str, tuple[Any, str] | str]:
        """Each distinct URL as reported -> (canonical URL, its blind index), or the reason it cannot be read.
        The blind index is computed once per canonical URL."""
        out: dict[str, tuple[Any, str] | str] = {}
        index_of: dict[str, str] = {}
        for reported in (r for rows in urls.values() for r in rows):
            if reported.case_id is not None or reported.url in out:
                continue
            try:
                canonical = canonicalize_url(reported.url)
            except UnacceptableUrl as exc:
                out[reported.url] = str(exc)[:200] or _("The URL could not be read.")
                continue
            index = index_of.get(canonical.url)
            if index is None:
                index = index_of[canonical.url] = blind_index(canonical.url, purpose=IndexPurpose.CASE_URL)
            out[reported.url] = (canonical, index)
        return out

    def _lock_existing_cases(self, indexes: set[str]) -> None:
        if not indexes:
            return
        # Locked in id order, so two batches over overlapping URLs cannot deadlock.
        found = Case.objects.select_for_update().defer("canonical_url").filter(url_index__in=sorted(indexes))
        for case in found.order_by("pk"):
            self.by_index[case.url_index] = case  # type: ignore[index]

    def _partner_sources(self, reports: list[Report]) -> None:
        """Which partner sources already reported each existing case (one query, only when it matters)."""
        partner = {(r.channel, r.source_name) for r in reports if r.channel in PARTNER_CHANNELS and r.source_name}
        if not partner or not self.by_index:
            return
        by_pk = {case.pk: case for case in self.by_index.values()}
        rows = (
            ReportedUrl.objects.filter(
                case_id__in=sorted(by_pk),
                report__channel__in=sorted({channel for channel, _ in partner}),
                report__source_name__in=sorted({source for _, source in partner}),
            )
            .order_by()
            .values_list("case_id", "report__channel", "report__source_name")
            .distinct()
        )
        for case_id, channel, source in rows:
            self.sources.add((id(by_pk[case_id]), channel, source))

    # --- deciding (in memory) ---
    def _triage(self, report: Report, urls: list[ReportedUrl], canonical: dict[str, tuple[Any, str] | str]) -> None:
        result = self.out.results.setdefault(report.pk, TriageResult(report_id=report.pk))
        cases: dict[int, Case | int] = {}  # id(case) or a linked case id -> case, for this report
        if not urls:
            if report.situation_case_id is not None:
                cases[report.situation_case_id] = report.situation_case_id
            else:
                case = self._create(report)
                self.situation_links.append((report, case))
                cases[id(case)] = case
        for reported in urls:
            if reported.case_id is not None:  # linked by an earlier run: keep it
                cases.setdefault(reported.case_id, reported.case_id)
                continue
            entry = canonical[reported.url]
            if isinstance(entry, str):
                reported.problem = entry
                case = self._create(report, url_problem=entry)
                result.problems += 1
            else:
                found, index = entry
                case = self.by_index.get(index)  # type: ignore[assignment]
                if case is None:
                    case = self.by_index[index] = self._create(
                        report,
                        url_index=index,
                        canonical_url=found.url,
                        host=found.host[:253],
                        registered_domain=(found.registered_domain or "")[:253],
                    )
                    self._trace(case.host)
                elif id(case) not in cases and case.pk not in cases and self._attach(case, report, result):
                    self._trace(case.host)
            self.url_links.append((reported, case))
            cases[id(case)] = case
        self.cases_of[report.pk] = list(cases.values())

    def _trace(self, host: str) -> None:
        # The one public-host policy (canonical.host_scope): a host that only someone's own network can
        # reach (stored before intake refused it) is never handed to tracing.
        if is_public_host(host):
            self.trace_hosts.add(host)

    def _create(self, report: Report, **extra: Any) -> Case:
        case = _new_case(report, self.now, **extra)
        self.new_cases.append(case)
        self.created_by.setdefault(report.pk, []).append(case)
        self._is_independent(case, report)  # notes a partner source: its next report does not count again
        _created_events(case, report, self.now, self.events)
        return case

    def _is_independent(self, case: Case, report: Report) -> bool:
        """Each anonymous report counts as one reporter; reports of one partner source count once per case."""
        if report.channel not in PARTNER_CHANNELS or not report.source_name:
            return True
        key = (id(case), report.channel, report.source_name)
        if key in self.sources:
            return False
        self.sources.add(key)
        return True

    def _attach(self, case: Case, report: Report, result: TriageResult) -> bool:
        """Count `report` on a case found by URL; reopen it when closed. Returns True if reopened."""
        reopened = False
        if case.pk is not None:
            self.attached[case.pk] = case
        if case.state == CaseState.CLOSED:
            CaseEvent.objects.create(
                case=case, at=self.now, kind="seen_again", details={"report": report.pk, "closed_as": case.close_reason}
            )
            transition_case(
                case=case,
                to_state=CaseState.TRIAGED,
                actor=SYSTEM,
                details={"reason": "seen_again", "report": report.pk},
            )
            reopened = True
            result.reopened.append(case.pk)
            self.out.reopened.append(case.pk)
            case.queued_at = self.now
        case.report_count += 1
        if self._is_independent(case, report):
            case.independent_reporters += 1
        case.channels = add_channel(case.channels, report.channel)
        _apply_nexus_hints(case, report)
        if case.last_reported_at is None or report.received_at > case.last_reported_at:
            case.last_reported_at = report.received_at
        self.events.append(
            CaseEvent(
                case=case, at=self.now, kind="report_attached", details={"report": report.pk, "channel": report.channel}
            )
        )
        return reopened

    # --- writing (in bulk) ---
    def _write(self, reports: list[Report], urls: dict[int, list[ReportedUrl]]) -> None:
        now = self.now
        for case in self.new_cases:
            case.priority = compute_priority(case, now=now)
        # URL cases in url_index order: two batches inserting the same URLs wait on each other, never deadlock.
        self.new_cases.sort(key=lambda c: (c.url_index is None, c.url_index or ""))
        insert_rows(Case, self.new_cases)
        existing = list(self.attached.values())
        for case in existing:
            case.priority = compute_priority(case, now=now)
            case.version += 1
            case.updated_at = now
        update_rows(Case, existing, CASE_COUNT_FIELDS)
        for reported, case in self.url_links:
            reported.case = case
        update_rows(ReportedUrl, [reported for reported, _ in self.url_links], ("case", "problem"))
        insert_rows(CaseEvent, self.events)
        report_ids = [r.pk for r in reports]
        Report.objects.filter(pk__in=report_ids).update(triaged_at=now)
        for report, case in self.situation_links:
            report.situation_case = case
        update_rows(Report, [report for report, _ in self.situation_links], ("situation_case",))

        out = self.out
        out.triaged = report_ids
        out.created = [case.pk for case in self.new_cases]
        out.attached = sorted(self.attached)
        for report in reports:
            result = out.results[report.pk]
            result.case_ids = sorted(c if isinstance(c, int) else c.pk for c in self.cases_of[report.pk])
            result.created = [case.pk for case in self.created_by.get(report.pk, [])]
            out.problems += result.problems

        # Apps above cases act on the hosts (tracing queues their traces), in this transaction.
        hooks.announce_hosts_found(sorted(host for host in self.trace_hosts if host))
        out.sibling_tasks = self._finish_sibling_tasks([pk for pk in report_ids if pk != self.first_report_id])
        audit.record(
            actor=SYSTEM,
            action="reports.triaged",
            object_type="report",
            object_id=report_ids[0],
            details={
                # What intake's entry said of each report (never its URLs or texts).
                "reports": [
                    {
                        "id": r.pk,
                        "channel": r.channel,
                        "kind": r.kind,
                        "urls": len(urls.get(r.pk, [])),
                        "source": r.source_name,
                    }
                    for r in reports
                ],
                "cases": {"created": out.created, "reopened": out.reopened, "attached": out.attached},
                "problems": out.problems,
            },
        )

    def _finish_sibling_tasks(self, report_ids: list[int]) -> int:
        """The queued triage tasks of reports this batch triaged have nothing left to do: mark them done now,
        so the worker does not pay a task's overhead for each. A task a worker already claimed is not
        touched; it finds its report triaged and goes on to the next batch.

        Only the head of the queue is looked at (in the worker's order, through the queue's own partial
        index): the batch takes the oldest untriaged reports, whose tasks intake queued first. Matching
        the report id in every waiting task instead would read the whole backlog for every batch. A
        sibling outside the head (a task queued again later) simply runs and finds its report triaged.
        """
        return taskqueue.finish_waiting_runs(
            triage_reports,
            first_args=report_ids,
            head=SIBLING_WINDOW * self.limit,
            now=self.now,
            return_value={"triaged_with": self.first_report_id},
        )


def refresh_priorities(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Recompute the priority of cases waiting for a first look (age in queue raises it). Returns rows changed."""
    now = now or timezone.now()
    changed = 0
    last_id = 0
    while True:
        batch = list(
            Case.objects.filter(state__in=[CaseState.NEW, CaseState.TRIAGED], pk__gt=last_id)
            .order_by("pk")
            .only(
                "pk",
                "kind",
                "priority",
                "created_at",
                "queued_at",
                "channels",
                "independent_reporters",
                "nexus_victim_hint",
                "nexus_offender_hint",
                "nexus_place_hint",
            )[:batch_size]
        )
        if not batch:
            break
        last_id = batch[-1].pk
        dirty = []
        for case in batch:
            priority = compute_priority(case, now=now)
            if priority != case.priority:
                case.priority = priority
                dirty.append(case)
        if dirty:
            with transaction.atomic():
                Case.objects.bulk_update(dirty, ["priority"])
                changed += len(dirty)
    if changed:
        with transaction.atomic():
            audit.record(actor=SYSTEM, action="cases.priorities_refreshed", details={"changed": changed})
    return changed


# --- claims -------------------------------------------------------------------------------------------
def claim_case(*, case: Case, analyst: StaffUser) -> Case:
    """Take (or renew) the claim on a case. Row-locked: two analysts never hold one case at once."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        now = timezone.now()
        if locked.state == CaseState.CLOSED:
            raise CaseError(_("A closed case cannot be claimed."))
        holder = locked.claim_holder(now)
        if holder is not None and holder.pk != analyst.pk:
            raise CaseClaimed(
                _("%(who)s is working on this case (claimed until %(until)s).")
                % {"who": holder, "until": timezone.localtime(locked.claimed_until).strftime("%H:%M")}
            )
        renewed = holder is not None
        locked.claimed_by = analyst
        locked.claimed_until = now + conf.claim_duration()
        locked.save(update_fields=["claimed_by", "claimed_until", "updated_at"])
        if not renewed:
            CaseEvent.objects.create(case=locked, at=now, actor=analyst, kind="claimed")
        audit.record(
            actor=analyst,
            action="case.claimed",
            object_type="case",
            object_id=locked.pk,
            details={"until": locked.claimed_until.isoformat(), "renewed": renewed},
        )
    case.refresh_from_db()
    return case


def release_case(*, case: Case, actor: StaffUser) -> Case:
    """Give a claim back. The holder may, and so may a supervisor (e.g. for an absent analyst)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        now = timezone.now()
        holder = locked.claim_holder(now)
        if holder is None:
            raise CaseError(_("Nobody holds this case."))
        if holder.pk != actor.pk and not actor.has_role(SUPERVISOR):
            raise CaseClaimed(_("Only %(who)s or a supervisor can release this case.") % {"who": holder})
        locked.claimed_by = None
        locked.claimed_until = None
        locked.save(update_fields=["claimed_by", "claimed_until", "updated_at"])
        CaseEvent.objects.create(case=locked, at=now, actor=actor, kind="released", details={"holder": holder.pk})
        audit.record(
            actor=actor, action="case.released", object_type="case", object_id=locked.pk, details={"holder": holder.pk}
        )
    case.refresh_from_db()
    return case


def _require_claim(case: Case, analyst: StaffUser, now: datetime) -> None:
    holder = case.claim_holder(now)
    if holder is None:
        raise NotClaimed(_("Claim the case first."))
    if holder.pk != analyst.pk:
        raise CaseClaimed(_("%(who)s is working on this case.") % {"who": holder})


# --- assessment ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AssessmentInput:
    verdict: str
    kind: str
    media_types: list[str] = field(default_factory=list)
    image_count: int | None = None
    video_count: int | None = None
    victim_age_group: str = ""
    victim_gender: str = ""
    site_type: str = ""
    commercial: bool = False
    payment_indicators: str = ""
    nexus_server: bool = False
    nexus_victim: bool = False
    nexus_offender: bool = False
    reasoning: str = ""


def _move_to(case: Case, to_state: str, actor: StaffUser, details: dict[str, Any] | None = None) -> None:
    if case.state != to_state:
        transition_case(case=case, to_state=to_state, actor=actor, details=details)


def assess_case(*, case: Case, analyst: StaffUser, data: AssessmentInput, expected_version: int | None) -> Assessment:
    """Record an assessment. Verdicts under four-eyes wait for a supervisor; older ones are superseded."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _check_version(locked, expected_version)
        now = timezone.now()
        _require_claim(locked, analyst, now)
        if locked.state == CaseState.CLOSED:
            raise CaseError(_("This case is closed. It reopens by itself when it is reported again."))
        if locked.state == CaseState.NEW:
            _move_to(locked, CaseState.TRIAGED, analyst)
        _move_to(locked, CaseState.IN_ASSESSMENT, analyst)
        superseded = list(
            Assessment.objects.filter(
                case=locked, status__in=[AssessmentStatus.CONFIRMED, AssessmentStatus.AWAITING_REVIEW]
            ).values_list("pk", flat=True)
        )
        Assessment.objects.filter(pk__in=superseded).update(status=AssessmentStatus.SUPERSEDED)
        four_eyes = needs_four_eyes(data.verdict, conf.four_eyes_verdicts())
        assessment = Assessment.objects.create(
            case=locked,
            analyst=analyst,
            created_at=now,
            status=AssessmentStatus.AWAITING_REVIEW if four_eyes else AssessmentStatus.CONFIRMED,
            verdict=data.verdict,
            kind=data.kind,
            media_types=sorted(set(data.media_types)),
            image_count=data.image_count,
            video_count=data.video_count,
            victim_age_group=data.victim_age_group,
            victim_gender=data.victim_gender,
            site_type=data.site_type,
            commercial=data.commercial,
            payment_indicators=data.payment_indicators if data.commercial else "",
            nexus_server=data.nexus_server,
            nexus_victim=data.nexus_victim,
            nexus_offender=data.nexus_offender,
            reasoning=data.reasoning,
        )
        if not four_eyes:
            _move_to(locked, CaseState.ASSESSED, analyst, {"assessment": assessment.pk})
        _bump_version(locked.pk)
        CaseEvent.objects.create(
            case=locked,
            at=now,
            actor=analyst,
            kind="assessment",
            details={"assessment": assessment.pk, "verdict": data.verdict, "status": assessment.status},
        )
        _end_exposure(analyst=analyst, now=now)
        audit.record(
            actor=analyst,
            action="case.assessed",
            object_type="case",
            object_id=locked.pk,
            details={
                "assessment": assessment.pk,
                "verdict": data.verdict,
                "status": assessment.status,
                "superseded": superseded,
            },
        )
    case.refresh_from_db()
    return assessment


def review_assessment(
    *, assessment: Assessment, reviewer: StaffUser, approve: bool, note: str = "", expected_version: int | None
) -> Assessment:
    """Four-eyes: a supervisor other than the assessing analyst confirms or sends back an assessment."""
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        case = Case.objects.select_for_update().get(pk=locked.case_id)
        _check_version(case, expected_version)
        if locked.status != AssessmentStatus.AWAITING_REVIEW:
            raise ReviewRefused(_("This assessment is not waiting for review."))
        if not reviewer.has_role(SUPERVISOR):
            raise ReviewRefused(_("Only a supervisor can review an assessment."))
        if locked.analyst_id == reviewer.pk:
            raise ReviewRefused(_("Four eyes means another person: you cannot review your own assessment."))
        if not approve and not note.strip():
            raise ReviewRefused(_("Say why the assessment is sent back."))
        now = timezone.now()
        locked.status = AssessmentStatus.CONFIRMED if approve else AssessmentStatus.REJECTED
        locked.reviewed_by = reviewer
        locked.reviewed_at = now
        locked.review_note = note.strip()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        if approve and case.state == CaseState.IN_ASSESSMENT:
            _move_to(case, CaseState.ASSESSED, reviewer, {"assessment": locked.pk, "review": "confirmed"})
        _bump_version(case.pk)
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=reviewer,
            kind="review",
            details={"assessment": locked.pk, "approved": approve},
        )
        audit.record(
            actor=reviewer,
            action="assessment.reviewed",
            object_type="case",
            object_id=case.pk,
            details={"assessment": locked.pk, "approved": approve, "verdict": locked.verdict},
        )
    assessment.refresh_from_db()
    return assessment


def close_case(
    *,
    case: Case,
    actor: StaffUser,
    reason: str,
    expected_version: int | None,
    duplicate_of: int | None = None,
) -> Case:
    """A status-only action: close as duplicate, not illegal, unreachable or no action possible."""
    if reason not in STATUS_ONLY_CLOSE_REASONS:
        raise CaseError(_("Choose why the case is closed."))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _check_version(locked, expected_version)
        holder = locked.claim_holder()
        if holder is not None and holder.pk != actor.pk and not actor.has_role(SUPERVISOR):
            raise CaseClaimed(_("%(who)s is working on this case.") % {"who": holder})
        details: dict[str, Any] = {"status_only": True}
        if reason == CloseReason.DUPLICATE and duplicate_of is not None:
            if duplicate_of == locked.pk or not Case.objects.filter(pk=duplicate_of).exists():
                raise CaseError(_("The case it duplicates does not exist."))
            details["duplicate_of"] = duplicate_of
        transition_case(case=locked, to_state=CaseState.CLOSED, actor=actor, close_reason=reason, details=details)
    case.refresh_from_db()
    return case


# --- notes, views, copying the URL ---------------------------------------------------------------
def add_note(*, case: Case, author: StaffUser, text: str) -> CaseNote:
    text = text.strip()
    if not text:
        raise CaseError(_("Write something in the note."))
    if len(text) > NOTE_MAX_LENGTH:
        raise CaseError(_("A note can be at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH})
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=author, text=text)
        CaseEvent.objects.create(case=case, at=note.created_at, actor=author, kind="note", details={"note": note.pk})
        audit.record(
            actor=author, action="case.note_added", object_type="case", object_id=case.pk, details={"note": note.pk}
        )
    return note


def record_case_view(*, case: Case, viewer: StaffUser) -> None:
    """Every opening of a case page (decrypted report metadata) is audited."""
    with transaction.atomic():
        audit.record(actor=viewer, action="case.viewed", object_type="case", object_id=case.pk)


def reveal_case_url(*, case: Case, actor: StaffUser) -> str:
    """The case's URL for copying: an explicit, audited action."""
    with transaction.atomic():
        url = case.canonical_url
        source = "canonical"
        if not url:
            first = ReportedUrl.objects.filter(case=case).order_by("report_id", "position").first()
            url = first.url if first is not None else ""
            source = "reported"
        if not url:
            raise CaseError(_("This case has no URL."))
        audit.record(
            actor=actor, action="case.url_copied", object_type="case", object_id=case.pk, details={"source": source}
        )
    return url


# --- analyst welfare ----------------------------------------------------------------------------------
def _end_exposure(*, analyst: StaffUser, now: datetime) -> int:
    cap = conf.exposure_session_cap()
    ended = 0
    for session in ExposureSession.objects.select_for_update().filter(analyst=analyst, ended_at=None):
        session.ended_at = min(now, session.started_at + cap)
        session.save(update_fields=["ended_at"])
        ended += 1
    return ended


def start_exposure(*, analyst: StaffUser, case: Case) -> ExposureSession:
    """Opening the assessment page: time in assessment starts (an earlier open session ends first)."""
    with transaction.atomic():
        now = timezone.now()
        _end_exposure(analyst=analyst, now=now)
        session = ExposureSession.objects.create(analyst=analyst, case=case, started_at=now)
        audit.record(
            actor=analyst,
            action="case.assessment_opened",
            object_type="case",
            object_id=case.pk,
            details={"exposure_session": session.pk},
        )
    return session


def end_exposure(*, analyst: StaffUser, case: Case | None = None) -> int:
    """Leaving the assessment page (or submitting it). Returns how many sessions were ended."""
    with transaction.atomic():
        ended = _end_exposure(analyst=analyst, now=timezone.now())
        if ended:
            audit.record(
                actor=analyst,
                action="case.assessment_left",
                object_type="case",
                object_id=case.pk if case is not None else "",
                details={"sessions": ended},
            )
    return ended


# --- retention of the reporter's own texts -------------------------------------------------------
ERASE_BATCH = 500  # reports per transaction (and per audit entry)


def erase_expired_report_texts(*, now: datetime | None = None) -> int:
    """Erase the reporter's own texts (description, where seen, contact, later messages) of every report
    whose cases have all been closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS. Off when that is unset.

    The rest stays: the reported URLs (their cases need them), the form's choices, the times, and the
    hotline's own work (assessments, referrals). A report that is untriaged, or has any case still
    open or closed too recently, is left alone; a case reopened later keeps what is left. A message a
    reporter adds after the erasure goes at the next run while the cases stay closed (the first
    erasure time is kept). Each batch locks its cases (triage reopens a case under the same lock)
    and checks again before it writes, in one transaction with one audit entry (report ids and
    numbers only). Returns how many reports.
    """
    from datetime import timedelta

    from django.db.models import Q, Value
    from django.db.models.functions import Coalesce

    days = conf.report_text_retention_days()
    if days is None:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    unfinished = Case.objects.exclude(state=CaseState.CLOSED, state_changed_at__lte=cutoff)
    expired = (
        Report.objects.filter(triaged_at__isnull=False, received_at__lte=cutoff)
        .exclude(urls__case__in=unfinished)
        .exclude(situation_case__in=unfinished)
    )
    # Reports not yet erased, and erased ones that got a message since (by the receipt code).
    due = expired.filter(Q(texts_erased_at=None) | Q(reporter_messages__isnull=False)).distinct().order_by("pk")
    erased = 0
    while candidates := list(due.values_list("pk", flat=True)[:ERASE_BATCH]):
        with transaction.atomic():
            cases_of_batch = Case.objects.filter(
                Q(pk__in=ReportedUrl.objects.filter(report_id__in=candidates).values("case_id"))
                | Q(pk__in=Report.objects.filter(pk__in=candidates).values("situation_case_id"))
            )
            list(cases_of_batch.select_for_update().order_by("pk").values_list("pk", flat=True))
            ids = list(due.filter(pk__in=candidates).values_list("pk", flat=True))  # again, under the locks
            count = Report.objects.filter(pk__in=ids).update(
                description="", where_seen="", contact="", texts_erased_at=Coalesce(F("texts_erased_at"), Value(now))
            )
            messages, _counts = ReporterMessage.objects.filter(report_id__in=ids).delete()
            audit.record(
                actor=SYSTEM,
                action="reports.texts_erased",
                object_type="report",
                details={"reports": count, "report_ids": ids, "messages": messages, "retention_days": days},
            )
        erased += count
    return erased


# --- what the URL rules derive, after the rules or the suffix list changed (issue 12) --------------
REDERIVE_BATCH = 500


@dataclass
class RederivedCases:
    """What rederive_cases found (and, unless a dry run, wrote)."""

    examined: int = 0
    changed: int = 0  # cases whose canonical URL, blind index, host or registered domain changed
    urls_changed: int = 0  # of those, cases whose canonical URL (and so blind index) changed
    collisions: list[tuple[int, int]] = field(default_factory=list)  # (case, case it now equals): by hand
    dry_run: bool = True
    examples: list[tuple[int, str, str]] = field(default_factory=list)  # (case id, what, "before -> after")


def rederive_cases(*, dry_run: bool, actor: StaffUser | str = SYSTEM) -> RederivedCases:
    """Recompute what the URL rules derive from each URL case (canonical form, its blind index, host,
    registered domain) with the rules and the Public Suffix List installed now.

    A newer suffix list moves cases between "related" groups, and a changed rule can give a stored URL
    another canonical form; nothing moves until an operator runs this (manage.py rederive_cases).
    With dry_run nothing is written. A case whose new canonical form is that of another case is left
    as it is and reported: merging two cases is an analyst's decision. Each batch of cases is locked,
    compared under the lock and written in one transaction with one audit entry (case ids and counts).
    """
    out = RederivedCases(dry_run=dry_run)
    last_id = 0
    fields = ("pk", "canonical_url", "url_index", "host", "registered_domain", "version", "updated_at")
    while batch := list(
        Case.objects.exclude(url_index=None)
        .filter(pk__gt=last_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:REDERIVE_BATCH]
    ):
        last_id = batch[-1]
        out.examined += len(batch)
        with transaction.atomic():
            rows = Case.objects.filter(pk__in=batch).order_by("pk")
            changed = [
                case for case in (rows if dry_run else rows.select_for_update()).only(*fields) if _rederive(case, out)
            ]
            if changed and not dry_run:
                update_rows(
                    Case, changed, ("canonical_url", "url_index", "host", "registered_domain", "version", "updated_at")
                )
                audit.record(
                    actor=actor,
                    action="cases.rederived",
                    object_type="case",
                    object_id=changed[0].pk,
                    details={"case_ids": [case.pk for case in changed], "changed": len(changed)},
                )
    return out


def _rederive(case: Case, out: RederivedCases) -> bool:
    """Apply today's rules to one case in memory; True if anything changed (and may be written)."""
    try:
        found = canonicalize_url(case.canonical_url or "")
    except UnacceptableUrl:
        return False  # a stored canonical URL the rules now refuse: left for a human, never dropped
    index = blind_index(found.url, purpose=IndexPurpose.CASE_URL)
    if index != case.url_index:
        other = Case.objects.filter(url_index=index).exclude(pk=case.pk).values_list("pk", flat=True).first()
        if other is not None:
            out.collisions.append((case.pk, other))
            return False
    after = {"url": found.url, "host": found.host[:253], "domain": found.registered_domain[:253]}
    before = {"url": case.canonical_url, "host": case.host, "domain": case.registered_domain}
    if after == before:
        return False
    for what in ("url", "host", "domain"):
        if before[what] != after[what] and len(out.examples) < 20:
            shown = (before[what] or "(none)", after[what] or "(none)")
            out.examples.append((case.pk, what, "" if what == "url" else f"{shown[0]} -> {shown[1]}"))
    out.changed += 1
    out.urls_changed += before["url"] != after["url"]
    case.canonical_url, case.url_index = found.url, index
    case.host, case.registered_domain = after["host"], after["domain"]
    case.version += 1
    case.updated_at = timezone.now()
    return True


# --- what reporters add later --------------------------------------------------------------------
def record_reporter_message(*, report: Report, text: str, actor: str) -> ReporterMessage:
    """Store what a reporter added with the receipt code (encrypted), audited with ids only. The channel it
    came through (intake) checks the text first."""
    with transaction.atomic():
        message = ReporterMessage.objects.create(report=report, text=text)
        audit.record(
            actor=actor,
            action="report.message_added",
            object_type="report",
            object_id=report.pk,
            details={"message_id": message.pk},
        )
    return message


# --- writes other apps ask of cases (cases is the only writer of its tables) ------------------------
def record_case_event(
    *,
    case_id: int,
    kind: str,
    actor: StaffUser | str | None = None,
    at: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    """Put an event of another app on a case's timeline (e.g. referrals: kind "referral", details["action"]).

    Part of the caller's change: it must run inside the transaction that audits that change. Its label on the
    case page comes from the writing app's receiver of hooks.timeline_labels. Ids and facts only in `details`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_case_event must run inside the transaction of the change it records.")
    return CaseEvent.objects.create(
        case_id=case_id,
        at=at or timezone.now(),
        actor=actor if isinstance(actor, StaffUser) else None,
        kind=kind,
        details=details or {},
    )


def set_hosting_country(
    *,
    host: str,
    country: str,
    actor: StaffUser | str | None,
    now: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> list[int]:
    """Every open case of `host` gets `country` as its hosting country (tracing, after a trace found it), each
    change audited with `details` (e.g. the trace's id). Returns the ids of the cases changed."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = list(
            Case.objects.select_for_update()
            .filter(host=host)
            .exclude(state=CaseState.CLOSED)
            .exclude(hosting_country=country)
            .values_list("pk", "hosting_country")
        )
        for case_id, old in changed:
            audit.record(
                actor=actor,
                action="case.hosting_country",
                object_type="case",
                object_id=case_id,
                details={"from": old, "to": country, **(details or {})},
            )
        if changed:
            Case.objects.filter(pk__in=[pk for pk, _ in changed]).update(hosting_country=country, updated_at=now)
    return [pk for pk, _ in changed]


def record_host_facts(
    *,
    host: str,
    found_at: datetime,
    trace_id: int | None = None,
    country: str = "",
    asn: int | None = None,
    network_name: str = "",
    abuse_email: str = "",
    holder: str = "",
    cdn_name: str = "",
    origin_hidden: bool = False,
    method: str = "",
    ips: Sequence[str] = (),
) -> bool:
    """Keep what the newest trace of `host` found (tracing, when a trace found addresses). Facts older than the
    stored ones (by found_at, then trace id) change nothing. Part of the caller's audited change (the trace's
    outcome): it must run inside that transaction. Returns whether the facts were stored."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_host_facts must run inside the transaction of the trace it comes from.")
    with transaction.atomic():
        current = HostFacts.objects.select_for_update().filter(host=host).first()
        if current is not None and (current.found_at, current.trace_id or 0) > (found_at, trace_id or 0):
            return False
        HostFacts.objects.update_or_create(
            host=host,
            defaults={
                "found_at": found_at,
                "trace_id": trace_id,
                "country": country,
                "asn": asn,
                "network_name": network_name,
                "abuse_email": abuse_email,
                "holder": holder,
                "cdn_name": cdn_name,
                "origin_hidden": origin_hidden,
                "method": method,
                "ips": list(ips),
            },
        )
    return True
