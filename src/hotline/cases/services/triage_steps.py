"""The steps of one triage batch (services.triage_batch): the batch's reports read in a few queries, their cases
decided in memory, and every row written in bulk (hotline.core.bulk: hundreds of rows per batch without
bulk_create's per-value SQL compilation). The entry points are in triage.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import hooks
from hotline.cases.canonical import UnacceptableUrl, canonicalize_url, is_public_host
from hotline.cases.models import Case, CaseEvent, CaseState, Channel, NexusHint, Report, ReportedUrl
from hotline.cases.rules import add_channel
from hotline.cases.selectors.links import cases_of_reports
from hotline.cases.services._shared import SYSTEM
from hotline.cases.services.priorities import compute_priority
from hotline.cases.services.transitions import transition_case
from hotline.cases.tasks import triage_reports
from hotline.core import audit, taskqueue
from hotline.core.bulk import insert_rows, update_rows
from hotline.core.crypto import IndexPurpose, blind_index

logger = logging.getLogger("hotline.cases")

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
PARTNER_CHANNELS = frozenset({Channel.API, Channel.NETWORK})
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


def _apply_nexus_hints(case: Case, report: Report) -> None:
    case.nexus_victim_hint = case.nexus_victim_hint or _hint(report.nexus_victim)
    case.nexus_offender_hint = case.nexus_offender_hint or _hint(report.nexus_offender)
    case.nexus_place_hint = case.nexus_place_hint or _hint(report.nexus_place)
    case.nexus_hint = case.nexus_victim_hint or case.nexus_offender_hint or case.nexus_place_hint


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


class TriageBatch:
    """One batch of triage_batch: reads everything it needs in a few queries, decides in memory, writes in bulk."""

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
            first.case_ids = sorted(cases_of_reports(found[0]).values_list("pk", flat=True))
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
        hooks.announce_reports_triaged(self._triaged_cases(reports))
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

    def _triaged_cases(self, reports: list[Report]) -> list[hooks.TriagedCase]:
        """Each case of the batch with the batch's reports on it (for reports_triaged), in case id order."""
        on_case: dict[int, list[Report]] = {}
        cases: dict[int, Case] = {}
        for report in reports:
            for item in self.cases_of[report.pk]:
                if isinstance(item, Case):
                    cases[item.pk] = item
                    on_case.setdefault(item.pk, []).append(report)
        created = {case.pk for case in self.new_cases}
        return [
            hooks.TriagedCase(
                case_id=pk,
                report_ids=tuple(r.pk for r in on_case[pk]),
                channels=tuple(r.channel for r in on_case[pk]),
                url_index=cases[pk].url_index,
                registered_domain=cases[pk].registered_domain,
                created=pk in created,
            )
            for pk in sorted(cases)
        ]

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
