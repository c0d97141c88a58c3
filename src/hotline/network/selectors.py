"""Reads of the network app: partners with their keys, the outbox and inbox lists, a case's message history
and the partner's status timeline with the time from our first report to removal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from hotline.cases.models import Case
from hotline.network.models import InboxMessage, MessageKind, OutboxMessage, OutboxState, PinnedKey
from hotline.network.protocol import StatusPoint, current_status
from hotline.referrals.models import PartnerChannel, PartnerHotline
from hotline.referrals.selectors import first_report_at


def partners() -> list[PartnerHotline]:
    return list(
        PartnerHotline.objects.order_by("-active", "name").prefetch_related(
            Prefetch("pinned_keys", queryset=PinnedKey.objects.order_by("retired_at", "pinned_at"))
        )
    )


def partner(*, partner_id: int) -> PartnerHotline | None:
    return (
        PartnerHotline.objects.filter(pk=partner_id)
        .prefetch_related(Prefetch("pinned_keys", queryset=PinnedKey.objects.order_by("retired_at", "pinned_at")))
        .first()
    )


def network_partners() -> QuerySet[PartnerHotline]:
    return PartnerHotline.objects.filter(channel=PartnerChannel.NETWORK)


def outbox(*, state: str = "", limit: int = 200) -> list[OutboxMessage]:
    rows = OutboxMessage.objects.select_related("partner", "referral")
    if state:
        rows = rows.filter(state=state)
    return list(rows[:limit])


def failed_count() -> int:
    return OutboxMessage.objects.filter(state=OutboxState.FAILED).count()


def inbox(*, limit: int = 200) -> list[InboxMessage]:
    return list(InboxMessage.objects.select_related("partner", "about")[:limit])


@dataclass(frozen=True)
class PartnerTimeline:
    """What a partner told us about one forward of ours: its statuses in time order, the current one."""

    forward: OutboxMessage
    statuses: list[InboxMessage]
    current: InboxMessage | None
    removed_at: datetime | None
    first_report_at: datetime | None
    report_to_removal: timedelta | None


@dataclass(frozen=True)
class CaseMessages:
    timelines: list[PartnerTimeline]  # our forwards of this case (sender side)
    received: list[InboxMessage]  # partners' forwards that became this case (receiver side)
    statuses_sent: list[OutboxMessage]  # the statuses we owe them
    empty: bool


def case_messages(*, case: Case) -> CaseMessages:
    forwards = list(OutboxMessage.objects.filter(case=case, kind=MessageKind.REPORT_FORWARD).select_related("partner"))
    timelines = []
    first = first_report_at(case=case) if forwards else None
    for forward in forwards:
        statuses = list(InboxMessage.objects.filter(about=forward).order_by("status_at", "received_at"))
        points = {r.message_id: r for r in statuses if r.status_at is not None}
        best = current_status(
            StatusPoint(status=r.status, status_at=r.status_at, message_id=r.message_id)  # type: ignore[arg-type]
            for r in points.values()
        )
        removed = next((r.removed_at or r.status_at for r in statuses if r.status == "content_removed"), None)
        timelines.append(
            PartnerTimeline(
                forward=forward,
                statuses=statuses,
                current=points.get(best.message_id) if best else None,
                removed_at=removed,
                first_report_at=first,
                report_to_removal=(removed - first) if removed and first else None,
            )
        )
    received = list(
        InboxMessage.objects.filter(kind=MessageKind.REPORT_FORWARD)
        .filter(Q(report__urls__case=case) | Q(report__situation_case=case))
        .select_related("partner")
        .distinct()
    )
    statuses_sent = list(
        OutboxMessage.objects.filter(forward__in=received).select_related("partner").order_by("created_at")
    )
    return CaseMessages(
        timelines=timelines,
        received=received,
        statuses_sent=statuses_sent,
        empty=not (timelines or received),
    )
