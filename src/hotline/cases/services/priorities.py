"""The queue priority of a case: its signals read from the case's own columns, and the periodic refresh that
lets age in queue raise it."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hotline.cases.models import Case, CaseState, Channel, NexusHint
from hotline.cases.priority import PrioritySignals, case_priority
from hotline.cases.services._shared import SYSTEM
from hotline.core import audit


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
        hash_list_match=case.hash_list_match,
        known_url_match=case.known_url_match,
        hours_in_queue=max(0.0, (now - queued_at).total_seconds() / 3600),
    )


def compute_priority(case: Case, *, now: datetime | None = None) -> int:
    return case_priority(priority_signals(case, now=now or timezone.now()))


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
                "hash_list_match",
                "known_url_match",
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
