"""The writes other apps ask of cases, which is the only writer of its tables: an event on a case's timeline
(referrals), a host's hosting country and facts (tracing), a reporter's later message (intake)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.cases.models import Case, CaseEvent, CaseState, HostFacts, Report, ReporterMessage
from hotline.core import audit
from hotline.staff.models import StaffUser


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


def record_list_match(
    *,
    case_id: int,
    hash_list_match: bool = False,
    known_url_match: bool = False,
    actor: StaffUser | str | None,
    details: dict[str, Any] | None = None,
) -> bool:
    """A case's report matched a hash list or a known-URL list (intel, at triage): the case's urgent signal is
    set, its priority recomputed, and the match put on its timeline (ids and list names in `details`, never a
    hash or URL). Part of the caller's audited change: it must run inside that transaction. Returns whether the
    case changed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_list_match must run inside the transaction of the match it records.")
    from hotline.cases.services.priorities import compute_priority

    case = Case.objects.select_for_update().defer("canonical_url").filter(pk=case_id).first()
    if case is None:
        return False
    now = timezone.now()
    changed = (hash_list_match and not case.hash_list_match) or (known_url_match and not case.known_url_match)
    case.hash_list_match = case.hash_list_match or hash_list_match
    case.known_url_match = case.known_url_match or known_url_match
    CaseEvent.objects.create(case_id=case_id, at=now, kind="list_match", details=details or {})
    if changed:
        case.priority = compute_priority(case, now=now)
        case.version += 1
        case.updated_at = now
        case.save(update_fields=["hash_list_match", "known_url_match", "priority", "version", "updated_at"])
    return changed
