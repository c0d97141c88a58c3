"""Status updates owed to partners: receivers of the cases and referrals hooks that, in the transaction of the
analyst's step, queue a report.status for every forward that became (part of) the case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from hotline.cases.models import CaseState
from hotline.network.models import InboxMessage, MessageKind
from hotline.network.services.outbox import queue_status, retry_now
from hotline.referrals import selectors as referral_selectors
from hotline.referrals.models import DeliveryChannel, Referral, Target

_TRANSITION_STATUS = {CaseState.IN_ASSESSMENT: "in_assessment", CaseState.CLOSED: "closed"}
_SENT_STATUS = {Target.POLICE: "referred_to_police", Target.HOST_NOTICE: "notice_sent_to_host"}


def forwards_of_case(case_id: int) -> list[InboxMessage]:
    """The forwards we received whose report is one of the case's (by URL or as the situation case)."""
    return list(
        InboxMessage.objects.filter(kind=MessageKind.REPORT_FORWARD)
        .filter(Q(report__urls__case_id=case_id) | Q(report__situation_case_id=case_id))
        .select_related("partner")
        .distinct()
    )


def queue_for_case(*, case_id: int, status: str, at: datetime, removed_at: datetime | None = None) -> int:
    queued = 0
    for forward in forwards_of_case(case_id):
        if queue_status(forward=forward, status=status, status_at=at, removed_at=removed_at) is not None:
            queued += 1
    return queued


def on_case_transitioned(
    sender: Any, case_id: int, from_state: str, to_state: str, at: datetime, **kwargs: Any
) -> None:
    if to_state == CaseState.ASSESSED:
        from hotline.cases.models import Case

        case = Case.objects.get(pk=case_id)
        assessment = referral_selectors.confirmed_assessment(case=case)
        if assessment is None:
            return
        from hotline.network.services.inbox import verdict_status

        queue_for_case(case_id=case_id, status=verdict_status(assessment.verdict), at=at)
        return
    status = _TRANSITION_STATUS.get(to_state)  # type: ignore[call-overload]
    if status is not None:
        queue_for_case(case_id=case_id, status=status, at=at)


def on_referral_progressed(sender: Any, referral: Referral, action: str, at: datetime, **kwargs: Any) -> None:
    if action == "retry" and referral.channel == DeliveryChannel.NETWORK:
        retry_now(referral_id=referral.pk)
        return
    if action == "sent":
        status = _SENT_STATUS.get(referral.target)  # type: ignore[call-overload]
        if status is not None:
            queue_for_case(case_id=referral.case_id, status=status, at=at)
    elif action == "content_removed":
        queue_for_case(case_id=referral.case_id, status="content_removed", at=at, removed_at=at)
    elif action == "not_removed":
        queue_for_case(case_id=referral.case_id, status="not_removed", at=at)


def on_network_referral_planned(sender: Any, referral: Referral, **kwargs: Any) -> None:
    from hotline.network.services.outbox import queue_forward

    queue_forward(referral=referral)
