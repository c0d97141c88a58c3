"""The case page: the case's reports, assessments, notes and timeline, related cases, and the panels other apps
add (hooks.case_page_panels)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from hotline.cases import hooks
from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseEvent,
    CaseNote,
    CaseState,
    CloseReason,
    Report,
    ReportedUrl,
    ReportHash,
    SituationUrgency,
    SituationVerdict,
    Verdict,
)
from hotline.cases.selectors.links import reports_of_cases
from hotline.cases.selectors.queue import CaseRow, QueueItem, case_rows, queue_items


# --- the case page ------------------------------------------------------------------------------------
@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    actor: Any = None
    event: CaseEvent | None = None
    report: Report | None = None
    assessment: Assessment | None = None
    note: CaseNote | None = None
    from_label: str = ""
    to_label: str = ""
    kind_label: str = ""  # events other apps write (hooks.timeline_labels)
    action_label: str = ""
    close_label: str = ""  # the close reason of a transition to closed, in words
    status_label: str = ""  # an assessment event's status, in words
    verdict_label: str = ""  # an assessment event's verdict, in words
    duplicate_of: int | None = None  # a close as duplicate: the other case
    duplicate: int | None = None  # duplicate_linked: the case closed as a duplicate of this one


@dataclass
class CasePage:
    case: Case
    reports: list[Report]
    reported_urls: dict[int, list[ReportedUrl]]
    assessments: list[Assessment]
    current_assessment: Assessment | None
    notes: list[CaseNote]
    timeline: list[TimelineEntry]
    related_by_domain: list[QueueItem]
    related_by_host: list[QueueItem]
    channel_counts: list[tuple[str, int]]
    panels: list[hooks.CasePanel] = field(default_factory=list)  # what other apps add (hooks.case_page_panels)
    # The same panels by the own section they follow ("start", "url", ... see hooks.CASE_PAGE_SECTIONS).
    panels_after: dict[str, list[hooks.CasePanel]] = field(default_factory=dict)
    related_domain_rows: list[CaseRow] = field(default_factory=list)
    related_host_rows: list[CaseRow] = field(default_factory=list)


# A new assessment supersedes the one in either state, so a case has at most one of them.
CURRENT_STATUSES = frozenset({AssessmentStatus.CONFIRMED, AssessmentStatus.AWAITING_REVIEW})


def current_assessment(case: Case) -> Assessment | None:
    """The assessment that stands for the case now: confirmed, or awaiting a supervisor's review (four eyes).
    None while unassessed, or once a review sent the last one back. (Only a confirmed one counts for a
    referral plan: that is the referrals app's own read.)"""
    return (
        case.assessments.filter(status__in=sorted(CURRENT_STATUSES))
        .select_related("analyst", "reviewed_by")
        .order_by("-created_at", "-pk")
        .first()
    )


def case_reports(case: Case) -> list[Report]:
    """The case's reports, oldest first, with their partner key (the case page; referrals' police package)."""
    return list(reports_of_cases(case).select_related("partner_key").order_by("received_at", "pk"))


def report_hashes(reports: list[Report]) -> list[ReportHash]:
    """The hashes the reports carry (computed by tipsters or partners; never of media Hotline has), beside the
    assessment form."""
    return list(ReportHash.objects.filter(report__in=[r.pk for r in reports]).order_by("report_id", "kind", "value"))


def _place_panels(panels: list[hooks.CasePanel]) -> dict[str, list[hooks.CasePanel]]:
    placed: dict[str, list[hooks.CasePanel]] = {"start": [], **{name: [] for name, _ in hooks.CASE_PAGE_SECTIONS}}
    for panel in panels:
        after = "start"
        for name, order in hooks.CASE_PAGE_SECTIONS:
            if order < panel.order:
                after = name
        placed[after].append(panel)
    return placed


def _labels(event: CaseEvent, labels: dict[str, hooks.TimelineLabels]) -> tuple[str, str]:
    """(kind label, action label) of an event another app wrote; ("", "") for the case's own kinds."""
    found = labels.get(event.kind)
    if found is None:
        return "", ""
    action = str(event.details.get("action", "")) if isinstance(event.details, dict) else ""
    return str(found.label), str(found.actions.get(action, action))


def _state_label(state: str) -> str:
    return str(CaseState(state).label) if state in CaseState.values else state


def case_page(*, case: Case) -> CasePage:
    reports = case_reports(case)
    urls: dict[int, list[ReportedUrl]] = defaultdict(list)
    for reported in ReportedUrl.objects.filter(report__in=[r.pk for r in reports], case=case).order_by(
        "report_id", "position"
    ):
        urls[reported.report_id].append(reported)
    for report in reports:
        report.case_urls = urls.get(report.pk, [])  # type: ignore[attr-defined]
    assessments = list(case.assessments.select_related("analyst", "reviewed_by").order_by("-created_at", "-pk"))
    notes = list(case.notes.select_related("author"))
    events = list(case.events.select_related("actor").order_by("at", "pk"))
    by_id_assessment = {a.pk: a for a in assessments}
    by_id_note = {n.pk: n for n in notes}
    labels = hooks.timeline_label_table()
    timeline = [TimelineEntry(at=r.received_at, kind="report_received", report=r) for r in reports]
    for event in events:
        kind_label, action_label = _labels(event, labels)
        entry = TimelineEntry(
            at=event.at,
            kind=event.kind,
            actor=event.actor,
            event=event,
            from_label=_state_label(event.from_state),
            to_label=_state_label(event.to_state),
            kind_label=kind_label,
            action_label=action_label,
        )
        details = event.details if isinstance(event.details, dict) else {}
        if details.get("close_reason") in CloseReason.values:
            entry.close_label = str(CloseReason(details["close_reason"]).label)
        if isinstance(details.get("duplicate_of"), int):
            entry.duplicate_of = details["duplicate_of"]
        if isinstance(details.get("duplicate"), int):
            entry.duplicate = details["duplicate"]
        if details.get("status") in AssessmentStatus.values:
            entry.status_label = str(AssessmentStatus(details["status"]).label)
        if details.get("verdict") in Verdict.values:
            entry.verdict_label = str(Verdict(details["verdict"]).label)
        if event.kind == "assessment":
            entry.assessment = by_id_assessment.get(event.details.get("assessment"))
        elif event.kind == "note":
            entry.note = by_id_note.get(event.details.get("note"))
        elif event.kind == "police_now":
            # A situation assessment sent to the police at once: its verdict and urgency in words, its notes.
            note_id = details.get("note")
            entry.note = by_id_note.get(note_id) if isinstance(note_id, int) else None
            entry.kind_label = str(_("Police contacted at once:"))
            verdict = details.get("verdict")
            urgency = details.get("urgency")
            entry.action_label = " · ".join(
                str(label)
                for label in (
                    SituationVerdict(verdict).label if verdict in SituationVerdict.values else "",
                    SituationUrgency(urgency).label if urgency in SituationUrgency.values else "",
                )
                if label
            )
        timeline.append(entry)
    timeline.sort(key=lambda e: e.at)

    related_domain: list[QueueItem] = []
    related_host: list[QueueItem] = []
    if case.registered_domain:
        related_domain = queue_items(
            Case.objects.filter(registered_domain=case.registered_domain)
            .exclude(pk=case.pk)
            .order_by("-created_at")[:20]
        )
    if case.host:
        related_host = queue_items(Case.objects.filter(host=case.host).exclude(pk=case.pk).order_by("-created_at")[:20])
    channel_counts: dict[str, int] = defaultdict(int)
    for report in reports:
        channel_counts[report.get_channel_display()] += 1
    panels = hooks.panels_for(case)
    return CasePage(
        case=case,
        reports=reports,
        reported_urls=dict(urls),
        assessments=assessments,
        current_assessment=next((a for a in assessments if a.status in CURRENT_STATUSES), None),
        notes=notes,
        timeline=timeline,
        related_by_domain=related_domain,
        related_by_host=related_host,
        channel_counts=sorted(channel_counts.items()),
        panels=panels,
        panels_after=_place_panels(panels),
        related_domain_rows=case_rows(related_domain),
        related_host_rows=case_rows(related_host),
    )


def reporter_classifications(case: Case) -> list[tuple[str, str]]:
    """What reporters said (kind, their own classification), kept apart from the analyst's assessment."""
    seen: list[tuple[str, str]] = []
    for report in reports_of_cases(case).only("kind", "reporter_classification").order_by("received_at", "pk"):
        item = (report.get_kind_display(), report.reporter_classification_label)
        if item not in seen:
            seen.append(item)
    return seen
