"""The analysts' queue: one page of cases (keyset pages on case_queue_idx), read as plain values, and the
rows of a case table formatted once in Python."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import conf, priority
from hotline.cases.models import Case, CaseState, Channel, CloseReason, ReportKind
from hotline.cases.rules import QUEUE_DEFAULT_STATES, QueueKey, channel_list

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
    "queued_at",
    "nexus_victim_hint",
    "nexus_place_hint",
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
    queued_at: datetime | None
    nexus_victim_hint: bool
    nexus_place_hint: bool

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
    level: str = "low"
    level_label: str = ""
    waiting: str = ""  # time in the queue, in words ("2 d 3 h")
    deadline_iso: str = ""
    deadline: str = ""
    overdue: bool = False


def case_rows(items: Iterable[QueueItem], *, now: datetime | None = None) -> list[CaseRow]:
    """The rows of a case table, labels translated once per call (templatetags case_table_rows renders them)."""
    now = now or timezone.now()
    states = {value: str(label) for value, label in CaseState.choices}
    reasons = {value: str(label) for value, label in CloseReason.choices}
    kinds = {value: str(label) for value, label in ReportKind.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    levels = level_labels()
    rows = []
    for item in items:
        local = timezone.localtime(item.created_at)
        level = priority.priority_level(
            priority=item.priority, kind=item.kind, home_country_hint=item.nexus_victim_hint or item.nexus_place_hint
        )
        since = item.queued_at or item.created_at
        due = since + timedelta(hours=priority.RESPONSE_HOURS[level])
        open_case = item.state != CaseState.CLOSED
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
                level=level,
                level_label=levels[level],
                waiting=waiting_words(now - since) if open_case else "",
                deadline_iso=timezone.localtime(due).isoformat(timespec="minutes") if open_case else "",
                deadline=timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if open_case else "",
                overdue=open_case and due <= now,
            )
        )
    return rows


def level_labels() -> dict[str, str]:
    return {
        priority.IMMEDIATE_DANGER: str(_("Immediate danger")),
        priority.HIGH: str(_("High")),
        priority.NORMAL: str(_("Normal")),
        priority.LOW: str(_("Low")),
    }


def waiting_words(waited: timedelta) -> str:
    """How long a case has waited, in the queue's short form: "45 min", "5 h 10 min", "3 d 4 h"."""
    minutes = max(0, int(waited.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def immediate_danger_cases(*, limit: int = 20) -> list[QueueItem]:
    """Open cases of a child at risk now in this country (priority.priority_level's immediate danger), for the
    box at the top of the queue whatever its filters."""
    qs = (
        Case.objects.exclude(state=CaseState.CLOSED)
        .filter(kind__in=sorted(priority.DANGER_KINDS))
        .filter(Q(nexus_victim_hint=True) | Q(nexus_place_hint=True))
        .order_by("-priority", "created_at", "pk")[:limit]
    )
    return queue_items(qs)


def next_case_id(
    *, after_case_id: int, viewer_id: int, filters: QueueFilters | None = None, now: datetime | None = None
) -> int | None:
    """The case "save and next case" opens: the first in the order the analyst sees the queue (the
    immediate-danger box, then the queue with the analyst's filters), other than the one just saved and not
    held by a colleague. With filters, only cases matching them: the analyst chose to work through those
    (the immediate-danger box stays on top of the queue page whatever the filters)."""
    now = now or timezone.now()
    filters = filters or QueueFilters(viewer_id=viewer_id)
    danger = [item.pk for item in immediate_danger_cases()]
    if filters != QueueFilters(viewer_id=filters.viewer_id) and danger:
        matching = _filtered(filters, now).filter(pk__in=danger, state__in=filters.states)
        kept = set(matching.values_list("pk", flat=True))
        danger = [pk for pk in danger if pk in kept]
    candidates = danger + [item.pk for item in queue_page(filters=filters, now=now).cases]
    candidates = [pk for pk in dict.fromkeys(candidates) if pk != after_case_id]
    if not candidates:
        return None
    held_by_others = set(
        Case.objects.filter(pk__in=candidates, claimed_until__gt=now)
        .exclude(claimed_by_id=viewer_id)
        .exclude(claimed_by__isnull=True)
        .values_list("pk", flat=True)
    )
    return next((pk for pk in candidates if pk not in held_by_others), None)
