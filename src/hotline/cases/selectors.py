"""Reads about cases: the queue (keyset pages on case_queue_idx), the case page, supervision, exposure."""

from __future__ import annotations

import contextlib
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hotline.cases import conf, hooks
from hotline.cases.canonical import UnacceptableUrl, canonicalize_url
from hotline.cases.indexes import receipt_index, url_index
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
    Report,
    ReportedUrl,
    ReporterMessage,
    ReportKind,
)
from hotline.cases.rules import (
    QUEUE_DEFAULT_STATES,
    STATES,
    Interval,
    QueueKey,
    channel_list,
    exposure_level,
    exposure_seconds,
)
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.staff.models import StaffUser

# What a case table shows, read as plain values: no model instances, nothing decrypted.
QUEUE_VALUES = (
    "pk",
    "priority",
    "created_at",
    "state",
    "close_reason",
    "kind",
    "host",
    "registered_domain",
    "hosting_country",
    "report_count",
    "channels",
    "nexus_hint",
    "url_problem",
    "claimed_until",
    "claimed_by__email",
    "claimed_by__display_name",
)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A case as a case table needs it (fields in QUEUE_VALUES order)."""

    pk: int
    priority: int
    created_at: datetime
    state: str
    close_reason: str
    kind: str
    host: str
    registered_domain: str
    hosting_country: str
    report_count: int
    channels: str
    nexus_hint: bool
    url_problem: str
    claimed_until: datetime | None
    holder_email: str | None
    holder_name: str | None

    def holder(self, now: datetime) -> str:
        """Who holds an unexpired claim ("" if nobody), shown as StaffUser.__str__ shows them."""
        if self.holder_email and self.claimed_until is not None and self.claimed_until > now:
            return self.holder_name or self.holder_email
        return ""


def queue_items(qs: QuerySet[Case]) -> list[QueueItem]:
    return [QueueItem(*row) for row in qs.values_list(*QUEUE_VALUES)]


# --- the queue ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueFilters:
    states: tuple[str, ...] = QUEUE_DEFAULT_STATES
    kind: str = ""
    channel: str = ""
    hosting_country: str = ""
    nexus: bool | None = None
    assigned: str = ""  # "", "none", "me" or an analyst id
    viewer_id: int | None = None


@dataclass
class QueuePage:
    cases: list[QueueItem]
    next_cursor: str | None
    first_page: bool


def _sort_key(item: QueueItem) -> QueueKey:
    return QueueKey(-item.priority, item.created_at, item.pk)


def _filtered(filters: QueueFilters, now: datetime) -> QuerySet[Case]:
    qs = Case.objects.all()
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.channel:
        qs = qs.filter(channels__contains=f",{filters.channel},")
    if filters.hosting_country:
        qs = qs.filter(hosting_country=filters.hosting_country.upper())
    if filters.nexus is not None:
        qs = qs.filter(nexus_hint=filters.nexus)
    if filters.assigned == "none":
        qs = qs.filter(Q(claimed_by=None) | Q(claimed_until__lte=now) | Q(claimed_until=None))
    elif filters.assigned:
        analyst_id = filters.viewer_id if filters.assigned == "me" else int(filters.assigned)
        qs = qs.filter(claimed_by_id=analyst_id, claimed_until__gt=now)
    return qs


def _after(cursor: QueueKey) -> Q:
    """Rows after `cursor` in (priority desc, created_at asc, id asc). `priority <= p` lets the index seek."""
    p = cursor.priority
    return Q(priority__lte=p) & (
        Q(priority__lt=p) | Q(created_at__gt=cursor.created_at) | Q(created_at=cursor.created_at, pk__gt=cursor.case_id)
    )


def queue_page(
    *, filters: QueueFilters, cursor: QueueKey | None = None, limit: int | None = None, now: datetime | None = None
) -> QueuePage:
    """One page of the queue: highest priority first, then oldest.

    Each state is read on its own in the order of `case_queue_idx` (state, -priority, created_at), so
    every query is an index range read of at most limit+1 rows, and the pages are merged here. No
    count(*) and no OFFSET: the cost stays the same on page 1 and page 10,000 of a million cases.
    """
    now = now or timezone.now()
    limit = limit or conf.queue_page_size()
    base = _filtered(filters, now)
    if cursor is not None:
        base = base.filter(_after(cursor))
    per_state = [
        queue_items(base.filter(state=state).order_by("-priority", "created_at", "pk")[: limit + 1])
        for state in filters.states
    ]
    merged = list(heapq.merge(*per_state, key=_sort_key))[: limit + 1]
    has_next = len(merged) > limit
    cases = merged[:limit]
    return QueuePage(
        cases=cases,
        next_cursor=_sort_key(cases[-1]).encode() if has_next and cases else None,
        first_page=cursor is None,
    )


@dataclass(frozen=True)
class CaseRow:
    """One line of a case table, formatted once in Python (the queue renders 50 of these per page)."""

    pk: int
    priority: int
    nexus: bool
    state: str
    close_reason: str
    kind: str
    domain: str
    url_problem: bool
    country: str
    reports: int
    channels: str
    created_iso: str
    created: str
    holder: str


def case_rows(items: Iterable[QueueItem], *, now: datetime | None = None) -> list[CaseRow]:
    now = now or timezone.now()
    states = {value: str(label) for value, label in CaseState.choices}
    reasons = {value: str(label) for value, label in CloseReason.choices}
    kinds = {value: str(label) for value, label in ReportKind.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    rows = []
    for item in items:
        local = timezone.localtime(item.created_at)
        rows.append(
            CaseRow(
                pk=item.pk,
                priority=item.priority,
                nexus=item.nexus_hint,
                state=states.get(item.state, item.state),
                close_reason=reasons.get(item.close_reason, item.close_reason),
                kind=kinds.get(item.kind, item.kind),
                domain=item.registered_domain or item.host,
                url_problem=bool(item.url_problem),
                country=item.hosting_country,
                reports=item.report_count,
                channels=", ".join(channels.get(c, c) for c in channel_list(item.channels)),
                created_iso=local.isoformat(timespec="minutes"),
                created=local.strftime("%Y-%m-%d %H:%M"),
                holder=item.holder(now),
            )
        )
    return rows


RECEIPT_RE = re.compile(r"^[\d\s-]{16,24}$")
CASE_ID_RE = re.compile(r"^#?\d{1,12}$")
DOMAIN_RE = re.compile(r"^[a-z0-9.-]+\.[a-z0-9-]+\.?$", re.IGNORECASE)


@dataclass
class SearchResult:
    kind: str  # "case_id", "receipt", "url", "domain", "none"
    cases: list[QueueItem]
    problem: str = ""


def _cases_of_reports(report_ids: Iterable[int]) -> QuerySet[Case]:
    ids = list(report_ids)
    return Case.objects.filter(Q(reported_urls__report_id__in=ids) | Q(situation_reports__pk__in=ids)).distinct()


def search_cases(*, query: str, limit: int = 50) -> SearchResult:
    """Find cases by case id, receipt code, exact URL (canonicalised, then blind index) or domain/host."""
    from django.utils.translation import gettext as _

    q = query.strip()
    if not q:
        return SearchResult(kind="none", cases=[])
    ordered = ("-priority", "created_at", "pk")
    digits = re.sub(r"[\s-]", "", q)
    if RECEIPT_RE.match(q) and len(digits) == 16 and digits.isdigit():
        reports = Report.objects.filter(receipt_index=receipt_index(digits)).values_list("pk", flat=True)
        return SearchResult(kind="receipt", cases=queue_items(_cases_of_reports(reports).order_by(*ordered)[:limit]))
    if CASE_ID_RE.match(q):
        return SearchResult(kind="case_id", cases=queue_items(Case.objects.filter(pk=int(q.lstrip("#")))))
    if "/" in q or ":" in q:
        candidate = q if "://" in q else f"http://{q}"
        problem = ""
        cases = []
        try:
            canonical = canonicalize_url(candidate)
        except UnacceptableUrl as exc:
            problem = str(exc)
        else:
            index = blind_index(canonical.url, purpose=IndexPurpose.CASE_URL)
            cases = queue_items(Case.objects.filter(url_index=index))
        if not cases:  # URLs that could not be canonicalised at triage: match them as reported
            raw = ReportedUrl.objects.filter(url_index=url_index(q)).values_list("case_id", flat=True)
            cases = queue_items(Case.objects.filter(pk__in=list(raw)).order_by(*ordered)[:limit])
        return SearchResult(kind="url", cases=cases, problem="" if cases else problem)
    if DOMAIN_RE.match(q):
        name = q.lower().rstrip(".")
        with contextlib.suppress(UnicodeError):
            name = name.encode("idna").decode("ascii")
        cases = queue_items(Case.objects.filter(Q(registered_domain=name) | Q(host=name)).order_by(*ordered)[:limit])
        return SearchResult(kind="domain", cases=cases)
    return SearchResult(
        kind="none", cases=[], problem=_("Search for a case number, receipt code, full URL or domain name.")
    )


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


def case_reports(case: Case) -> list[Report]:
    return list(
        Report.objects.filter(Q(urls__case=case) | Q(situation_case=case))
        .distinct()
        .select_related("partner_key")
        .order_by("received_at", "pk")
    )


def current_assessment(case: Case) -> Assessment | None:
    return (
        case.assessments.filter(status__in=[AssessmentStatus.CONFIRMED, AssessmentStatus.AWAITING_REVIEW])
        .select_related("analyst", "reviewed_by")
        .first()
    )


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
        if event.kind == "assessment":
            entry.assessment = by_id_assessment.get(event.details.get("assessment"))
        elif event.kind == "note":
            entry.note = by_id_note.get(event.details.get("note"))
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
        current_assessment=next(
            (a for a in assessments if a.status in {AssessmentStatus.CONFIRMED, AssessmentStatus.AWAITING_REVIEW}),
            None,
        ),
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


def host_facts(*, host: str) -> HostFacts | None:
    """The newest hosting facts of a host (services.record_host_facts), or None when no trace found any."""
    return HostFacts.objects.filter(host=host).first() if host else None


def reporter_messages(report_id: int) -> QuerySet[ReporterMessage]:
    """Messages a reporter added with the receipt (for casework)."""
    return ReporterMessage.objects.filter(report_id=report_id).order_by("received_at", "pk")


def reporter_classifications(case: Case) -> list[tuple[str, str]]:
    """What reporters said (kind, their own classification), kept apart from the analyst's assessment."""
    seen: list[tuple[str, str]] = []
    for report in case_reports(case):
        item = (report.get_kind_display(), report.reporter_classification)
        if item not in seen:
            seen.append(item)
    return seen


# --- welfare ---------------------------------------------------------------------------------------
def start_of_day(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Exposure:
    analyst: Any
    minutes: int
    limit: int
    level: str  # ok, near, over


def _exposure_by_analyst(analyst_ids: Iterable[int] | None, now: datetime) -> dict[int, int]:
    since = start_of_day(now)
    cap = conf.exposure_session_cap()
    # A session started before midnight may still reach into today.
    qs = ExposureSession.objects.filter(started_at__gte=since - cap, started_at__lte=now)
    if analyst_ids is not None:
        qs = qs.filter(analyst_id__in=list(analyst_ids))
    intervals: dict[int, list[Interval]] = defaultdict(list)
    for analyst_id, started, ended in qs.values_list("analyst_id", "started_at", "ended_at"):
        intervals[analyst_id].append(Interval(started, ended))
    return {
        analyst_id: exposure_seconds(items, now=now, cap=cap, since=since) // 60
        for analyst_id, items in intervals.items()
    }


def exposure_today(*, analyst: StaffUser, now: datetime | None = None) -> Exposure:
    now = now or timezone.now()
    minutes = _exposure_by_analyst([analyst.pk], now).get(analyst.pk, 0)
    limit = conf.exposure_limit_minutes()
    return Exposure(analyst=analyst, minutes=minutes, limit=limit, level=exposure_level(minutes=minutes, limit=limit))


def case_staff() -> QuerySet[StaffUser]:
    return (
        StaffUser.objects.filter(is_active=True, groups__name__in=["analyst", "supervisor"])
        .distinct()
        .order_by("email")
    )


def team_exposure(*, now: datetime | None = None) -> list[Exposure]:
    now = now or timezone.now()
    limit = conf.exposure_limit_minutes()
    minutes = _exposure_by_analyst(None, now)
    return [
        Exposure(
            analyst=user,
            minutes=minutes.get(user.pk, 0),
            limit=limit,
            level=exposure_level(minutes=minutes.get(user.pk, 0), limit=limit),
        )
        for user in case_staff()
    ]


# --- supervision ---------------------------------------------------------------------------------
def awaiting_review(*, limit: int = 100) -> list[Assessment]:
    return list(
        Assessment.objects.filter(status=AssessmentStatus.AWAITING_REVIEW)
        .select_related("case", "analyst")
        .order_by("created_at")[:limit]
    )


@dataclass(frozen=True)
class OverdueCase:
    case: Case
    hours_in_state: int
    limit_hours: int


def overdue_cases(*, now: datetime | None = None, limit: int = 200) -> list[OverdueCase]:
    """Cases in a state longer than HOTLINE_OVERDUE_HOURS allows (oldest first); uses case_state_age_idx."""
    now = now or timezone.now()
    found: list[OverdueCase] = []
    for state, hours in conf.overdue_hours().items():
        cutoff = now - timedelta(hours=hours)
        rows = (
            Case.objects.filter(state=state, state_changed_at__lt=cutoff)
            .select_related("claimed_by")
            .defer("canonical_url")
            .order_by("state_changed_at")[:limit]
        )
        for case in rows:
            found.append(
                OverdueCase(
                    case=case,
                    hours_in_state=int((now - case.state_changed_at).total_seconds() // 3600),
                    limit_hours=hours,
                )
            )
    found.sort(key=lambda o: o.case.state_changed_at)
    return found[:limit]


@dataclass(frozen=True)
class Workload:
    analyst: StaffUser
    claimed: int
    assessed_today: int
    assessed_7_days: int
    awaiting_review: int


def workload(*, now: datetime | None = None) -> list[Workload]:
    now = now or timezone.now()
    today = start_of_day(now)
    week = now - timedelta(days=7)
    claimed = dict(
        Case.objects.filter(claimed_until__gt=now)
        .exclude(claimed_by=None)
        .values_list("claimed_by")
        .annotate(n=Count("pk"))
        .values_list("claimed_by", "n")
    )
    recent = (
        Assessment.objects.filter(created_at__gte=week)
        .values("analyst")
        .annotate(
            week=Count("pk"),
            today=Count("pk", filter=Q(created_at__gte=today)),
            waiting=Count("pk", filter=Q(status=AssessmentStatus.AWAITING_REVIEW)),
        )
    )
    by_analyst: dict[int, dict[str, Any]] = {row["analyst"]: dict(row) for row in recent}
    return [
        Workload(
            analyst=user,
            claimed=claimed.get(user.pk, 0),
            assessed_today=by_analyst.get(user.pk, {}).get("today", 0),
            assessed_7_days=by_analyst.get(user.pk, {}).get("week", 0),
            awaiting_review=by_analyst.get(user.pk, {}).get("waiting", 0),
        )
        for user in case_staff()
    ]


def analysts_for_filter() -> list[StaffUser]:
    return list(case_staff())


def state_choices() -> list[tuple[str, str]]:
    return [(s, str(CaseState(s).label)) for s in STATES]
