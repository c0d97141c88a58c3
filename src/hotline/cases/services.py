"""Writes about cases: triage, the state machine, claims, assessments and reviews, notes, exposure.

Every function here runs in one transaction and records an audit entry in it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases import conf
from hotline.cases.canonical import UnacceptableUrl, canonicalize_url
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
    NexusHint,
    Report,
    ReportedUrl,
)
from hotline.cases.priority import PrioritySignals, case_priority
from hotline.cases.rules import add_channel, needs_four_eyes
from hotline.core.authz import SUPERVISOR
from hotline.core.crypto import blind_index
from hotline.staff import audit
from hotline.staff.models import StaffUser

logger = logging.getLogger("hotline.cases")

SYSTEM = "system"
CASE_URL_PURPOSE = "case_url"  # blind-index purpose of Case.url_index (canonical URL)
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


class CaseError(Exception):
    """A case change that is not allowed; the message is for people."""


class InvalidTransition(CaseError):
    pass


class StaleCase(CaseError):
    """The case changed after the form was opened."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("This case changed after you opened the form. Reload the page and try again."))


class CaseClaimed(CaseError):
    """Another analyst holds the case."""


class NotClaimed(CaseError):
    """The acting analyst does not hold the case."""


class ReviewRefused(CaseError):
    pass


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
@dataclass
class TriageResult:
    report_id: int
    case_ids: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    problems: int = 0
    already_done: bool = False
    missing: bool = False


def _trace_requester() -> Callable[..., Any] | None:
    """hotline.tracing.services.request_trace(host=...) when the tracing app provides it, else None."""
    from hotline.cases.selectors import optional_function

    return optional_function("hotline.tracing.services", "request_trace")  # type: ignore[no-any-return]


def _request_traces(hosts: list[str]) -> None:
    """Ask tracing to locate each host, in this transaction. A host tracing refuses (or a fault in
    tracing) must not stop triage: it is logged (without the host) and the case waits for a human."""
    request_trace = _trace_requester()
    if request_trace is None:
        return
    for host in hosts:
        try:
            # request_trace writes inside its own atomic block (a savepoint here), so a failure in it
            # leaves triage's writes and the connection usable.
            request_trace(host=host)
        except Exception as exc:  # the message may name the host: log only the kind of failure
            logger.warning(
                "Tracing refused a host of a triaged report (%s); the case stays without a trace.", type(exc).__name__
            )


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


def _is_independent(case: Case, report: Report, *, new_case: bool) -> bool:
    """Each anonymous report counts as one reporter; reports of one partner source count once per case."""
    if new_case or report.channel not in PARTNER_CHANNELS or not report.source_name:
        return True
    return not (
        ReportedUrl.objects.filter(case=case, report__channel=report.channel, report__source_name=report.source_name)
        .exclude(report=report)
        .exists()
    )


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


def _create_case(report: Report, now: datetime, events: list[CaseEvent], **extra: Any) -> Case:
    case = _new_case(report, now, **extra)
    case.priority = compute_priority(case, now=now)
    case.save()
    _created_events(case, report, now, events)
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


def _url_case(
    *, index: str, canonical: Any, report: Report, now: datetime, events: list[CaseEvent]
) -> tuple[Case, bool]:
    """The case for a canonical URL, locked; created if none exists. Returns (case, created).

    Two workers may create it at the same moment: the unique url_index lets one insert win; the other's
    insert fails inside its savepoint and it attaches to the winner's case instead.
    """
    found = list(Case.objects.select_for_update().defer("canonical_url").filter(url_index=index).order_by()[:1])
    if found:
        return found[0], False
    # SQLite runs every write transaction under BEGIN IMMEDIATE (settings): writers are serialised, so the
    # row cannot appear between the read above and this insert, and the savepoint would only cost time.
    race_possible = transaction.get_connection().vendor != "sqlite"
    try:
        with transaction.atomic(savepoint=race_possible):  # a lost race rolls back only this insert
            case = _new_case(
                report,
                now,
                url_index=index,
                canonical_url=canonical.url,
                host=canonical.host[:253],
                registered_domain=(canonical.registered_domain or "")[:253],
            )
            case.priority = compute_priority(case, now=now)
            case.save()
    except IntegrityError:
        return Case.objects.select_for_update().defer("canonical_url").get(url_index=index), False
    _created_events(case, report, now, events)
    return case, True


def _attach_existing(case: Case, report: Report, now: datetime, events: list[CaseEvent], result: TriageResult) -> bool:
    """Count `report` on an existing (locked) case; reopen it when closed. Returns True if reopened."""
    reopened = False
    if case.state == CaseState.CLOSED:
        CaseEvent.objects.create(
            case=case, at=now, kind="seen_again", details={"report": report.pk, "closed_as": case.close_reason}
        )
        transition_case(
            case=case,
            to_state=CaseState.TRIAGED,
            actor=SYSTEM,
            details={"reason": "seen_again", "report": report.pk},
        )
        reopened = True
        result.reopened.append(case.pk)
        case.queued_at = now
    case.report_count += 1
    if _is_independent(case, report, new_case=False):
        case.independent_reporters += 1
    case.channels = add_channel(case.channels, report.channel)
    _apply_nexus_hints(case, report)
    if case.last_reported_at is None or report.received_at > case.last_reported_at:
        case.last_reported_at = report.received_at
    case.priority = compute_priority(case, now=now)
    case.version += 1
    case.save(
        update_fields=[
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
        ]
    )
    events.append(
        CaseEvent(case=case, at=now, kind="report_attached", details={"report": report.pk, "channel": report.channel})
    )
    return reopened


def triage_report(*, report_id: int) -> TriageResult:
    """Turn a report into cases: one per canonical URL (deduplicated), or one for a report without URL.

    Idempotent (a triaged report is left alone) and safe against a concurrent run (row lock on the
    report, unique url_index on cases). A URL that cannot be canonicalised gets a case of its own that
    records the reason and waits for a human; it never makes the task fail.
    """
    for attempt in range(TRIAGE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _triage(report_id)
        except IntegrityError:
            if attempt == TRIAGE_ATTEMPTS - 1:
                raise
            logger.info("Triage of report %s met a concurrent write; trying again.", report_id)
    raise AssertionError("unreachable")


def _triage(report_id: int) -> TriageResult:
    result = TriageResult(report_id=report_id)
    # Only what triage needs: the report's encrypted texts are not decrypted here.
    found = list(Report.objects.select_for_update().only(*TRIAGE_REPORT_FIELDS).filter(pk=report_id).order_by()[:1])
    report = found[0] if found else None
    if report is None:
        logger.warning("Report %s to triage does not exist (deleted?); nothing to do.", report_id)
        result.missing = True
        return result
    if report.triaged_at is not None:
        result.already_done = True
        result.case_ids = sorted(
            set(report.urls.exclude(case=None).values_list("case_id", flat=True))
            | ({report.situation_case_id} if report.situation_case_id else set())
        )
        return result

    now = timezone.now()
    events: list[CaseEvent] = []
    touched: dict[int, Case] = {}
    trace_hosts: set[str] = set()
    urls = list(report.urls.order_by("position"))

    if not urls:
        case = report.situation_case
        if case is None:
            case = _create_case(report, now, events)
            report.situation_case = case
            result.created.append(case.pk)
        touched[case.pk] = case
    for reported in urls:
        if reported.case_id is not None:
            touched.setdefault(reported.case_id, reported.case)  # type: ignore[arg-type]
            continue
        try:
            canonical = canonicalize_url(reported.url)
        except UnacceptableUrl as exc:
            reported.problem = str(exc)[:200] or _("The URL could not be read.")
            case = _create_case(report, now, events, url_problem=reported.problem)
            result.created.append(case.pk)
            result.problems += 1
        else:
            index = blind_index(canonical.url, purpose=CASE_URL_PURPOSE)
            case, created = _url_case(index=index, canonical=canonical, report=report, now=now, events=events)
            if created:
                result.created.append(case.pk)
                trace_hosts.add(case.host)
            elif case.pk not in touched and _attach_existing(case, report, now, events, result):
                trace_hosts.add(case.host)
        reported.case = case
        ReportedUrl.objects.filter(pk=reported.pk).update(case=case, problem=reported.problem)
        touched[case.pk] = case

    CaseEvent.objects.bulk_create(events)
    report.triaged_at = now
    Report.objects.filter(pk=report.pk).update(triaged_at=now, situation_case=report.situation_case_id)
    result.case_ids = sorted(touched)

    _request_traces(sorted(h for h in trace_hosts if h))

    audit.record(
        actor=SYSTEM,
        action="report.triaged",
        object_type="report",
        object_id=report.pk,
        details={
            "cases": result.case_ids,
            "created": result.created,
            "reopened": result.reopened,
            "problems": result.problems,
        },
    )
    return result


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
