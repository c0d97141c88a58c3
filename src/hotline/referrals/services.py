"""Writes of the referrals app: confirm a plan, delivery bookkeeping, staff actions, removal, partners.

Every function runs in one transaction with its audit entry; messages are sent by tasks enqueued
in the same transaction. Audit details hold ids and facts only (no URLs, texts or addresses). The
errors raised live in referrals.errors (imported here, so `services.ReferralError` keeps working).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases.models import Case, CaseState, CloseReason
from hotline.cases.services import record_case_event, transition_case
from hotline.core import audit
from hotline.core.backoff import backoff
from hotline.referrals import conf, lifecycle, selectors
from hotline.referrals.errors import ReferralError, ReferralNotFound, StalePlan
from hotline.referrals.models import (
    FINAL_STATES,
    SENT_STATES,
    AckEvidence,
    AttemptKind,
    DeliveryAttempt,
    DeliveryChannel,
    PartnerHotline,
    Referral,
    ReferralState,
    ReferralTiming,
    RemovalMethod,
    Target,
)
from hotline.referrals.notices import notice_language
from hotline.referrals.rules import HOST_NOTICE, HOSTED_HOME, PARTNER_HOTLINE, POLICE
from hotline.referrals.tasks import close_monitored_case, deliver_referral, send_escalation_email
from hotline.staff.models import StaffUser

SYSTEM = "system:referrals"
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def _event(*, case_id: int, actor: Any, action: str, at: datetime, **details: Any) -> None:
    """A referral step on the case's timeline (labelled by the referrals app: apps.timeline_labels)."""
    record_case_event(case_id=case_id, kind="referral", actor=actor, at=at, details={"action": action, **details})


def _lock_referral(referral_id: int) -> Referral:
    referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
    if referral is None:
        raise ReferralNotFound(_("No such referral."))
    return referral


def _set_state(referral: Referral, state: str, now: datetime) -> str:
    """Move to `state` if the state machine allows it; returns the previous state."""
    previous = referral.state
    if previous != state:
        if not lifecycle.can_move(previous, state):
            raise ReferralError(
                _("A referral in state “%(from)s” cannot become “%(to)s”.")
                % {"from": ReferralState(previous).label, "to": ReferralState(state).label}
            )
        referral.state = state
        referral.state_changed_at = now
    return previous


def _enqueue_delivery(referral_id: int, *, at: datetime | None = None) -> None:
    if at is not None and at > timezone.now():
        deliver_referral.using(run_after=at).enqueue(referral_id)
    else:
        deliver_referral.enqueue(referral_id)


def _clean_email(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ReferralError(_("“%(value)s” is not a valid email address.") % {"value": value[:100]}) from exc
    return value.lower()


# --- the plan ----------------------------------------------------------------------------


def record_plan_view(*, case_id: int, viewer: StaffUser) -> None:
    """Opening a case's referral plan (hosting facts, recipients) is an access to the case: audited."""
    with transaction.atomic():
        audit.record(actor=viewer, action="referral.plan_viewed", object_type="case", object_id=case_id)


@dataclass(frozen=True)
class TargetChoice:
    """One recipient the analyst confirmed: "police", "host_notice" or "partner_hotline:<id>"."""

    key: str
    recipient_email: str = ""  # for a notice: overrides the traced abuse contact (registrar, CDN)


def confirm_referral_plan(
    *,
    case_id: int,
    actor: StaffUser,
    assessment_id: int,
    choices: Sequence[TargetChoice],
    adjust_reason: str = "",
) -> list[Referral]:
    """Create planned referrals for the chosen targets, enqueue their delivery, move the case to referred."""
    adjust_reason = (adjust_reason or "").strip()
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update().filter(pk=case_id).first()
            if case is None:
                raise ReferralNotFound(_("No such case."))
            state = selectors.case_plan(case=case)
            if state.assessment is None or state.assessment.pk != assessment_id:
                raise StalePlan(_("The assessment changed since the plan was shown. Review the new plan."))
            if state.blocked_reason:
                raise ReferralError(state.blocked_reason)
            referrals = _create_referrals(
                case=case, state=state, actor=actor, choices=choices, adjust_reason=adjust_reason
            )
            if case.state == CaseState.ASSESSED:
                transition_case(
                    case=case,
                    to_state=CaseState.REFERRED,
                    actor=actor,
                    details={"referrals": [r.pk for r in referrals]},
                )
    except IntegrityError as exc:
        raise StalePlan(_("Someone else confirmed referrals for this case at the same time. Review again.")) from exc
    return referrals


def _create_referrals(
    *,
    case: Case,
    state: selectors.CasePlan,
    actor: StaffUser,
    choices: Sequence[TargetChoice],
    adjust_reason: str,
) -> list[Referral]:
    plan = state.plan
    assert plan is not None
    keys = [c.key for c in choices]
    if not keys:
        raise ReferralError(_("Choose at least one recipient."))
    if len(set(keys)) != len(keys):
        raise ReferralError(_("Each recipient can be chosen once."))
    already = set(keys) & state.open_keys
    if already:
        raise ReferralError(
            _("This case already has an open referral to: %(targets)s.") % {"targets": ", ".join(sorted(already))}
        )
    proposals = {p.key: p for p in plan.proposals}
    partners = {p.pk: p for p in state.partners}
    police_chosen = POLICE in keys or POLICE in state.open_keys
    traced_abuse = state.hosting.abuse_email
    overridden = any(c.key == HOST_NOTICE and c.recipient_email and c.recipient_email != traced_abuse for c in choices)
    adjusted = set(keys) != set(state.pending_keys) or overridden
    if adjusted and not adjust_reason:
        raise ReferralError(_("You changed the proposed plan: say why."))
    now = timezone.now()
    created: list[Referral] = []
    for choice in choices:
        proposal = proposals.get(choice.key)
        referral = Referral(
            reference=new_reference(),
            case=case,
            target_key=choice.key,
            created_by=actor,
            planned_at=now,
            state_changed_at=now,
            rule=proposal.rule if proposal else "analyst",
            reason=proposal.reason if proposal else _("Added by the analyst."),
            adjusted=adjusted,
            adjust_reason=adjust_reason if adjusted else "",
        )
        if choice.key == POLICE:
            referral.target = Target.POLICE
            referral.channel = conf.police_channel()
            referral.language = conf.police_language()
            referral.recipient_country = conf.home_country()
            referral.recipient_name = _("Police")
            if referral.channel == DeliveryChannel.EMAIL:
                if not conf.police_email():
                    raise ReferralError(
                        _("Police referrals go by email, but no police address is configured (HOTLINE_POLICE_EMAIL).")
                    )
                referral.recipient_email = _clean_email(conf.police_email())
        elif choice.key == HOST_NOTICE:
            if not case.url_index:
                raise ReferralError(_("This case has no URL: a notice to a host is not possible."))
            recipient = choice.recipient_email or traced_abuse
            if not recipient:
                raise ReferralError(
                    _("No abuse contact is known for this host: enter the address of the registrar or the CDN.")
                )
            referral.target = Target.HOST_NOTICE
            referral.channel = DeliveryChannel.EMAIL
            referral.recipient_email = _clean_email(recipient)
            referral.recipient_name = (state.hosting.cdn_name if state.hosting.origin_hidden else "") or (
                state.hosting.holder or state.hosting.network_name
            )
            referral.recipient_country = state.hosting.country[:2]
            referral.language = notice_language(state.hosting.country)
            # A notice to a host at home waits for police clearance (policy police_first), also when
            # the analyst added it by hand.
            if proposal is not None:
                hold = proposal.after_police_clearance
            else:
                at_home = state.facts is not None and state.facts.hosted == HOSTED_HOME
                hold = at_home and conf.referral_policy() == "police_first"
            referral.awaiting_clearance = bool(hold and police_chosen)
        elif choice.key.startswith(f"{PARTNER_HOTLINE}:"):
            try:
                partner = partners[int(choice.key.partition(":")[2])]
            except (KeyError, ValueError) as exc:
                raise ReferralError(_("Choose an active partner hotline.")) from exc
            referral.target = Target.PARTNER_HOTLINE
            referral.partner = partner
            referral.channel = DeliveryChannel.EMAIL
            referral.recipient_email = partner.referral_email
            referral.recipient_name = partner.name
            referral.recipient_country = (state.hosting.country or (partner.country_codes or [""])[0])[:2]
            referral.language = partner.language or "en"
        else:
            raise ReferralError(_("Unknown recipient."))
        if not referral.awaiting_clearance:
            referral.next_attempt_at = now
        referral.save()
        created.append(referral)
        audit.record(
            actor=actor,
            action="referral.planned",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": case.pk,
                "target": referral.target,
                "channel": referral.channel,
                "partner": referral.partner_id,
                "rule": referral.rule,
                "adjusted": adjusted,
                "awaiting_clearance": referral.awaiting_clearance,
            },
        )
    audit.record(
        actor=actor,
        action="referral.plan_confirmed",
        object_type="case",
        object_id=case.pk,
        details={
            "assessment": state.assessment.pk if state.assessment else None,
            "proposed": sorted(state.pending_keys),
            "chosen": sorted(keys),
            "adjusted": adjusted,
            "warnings": len(plan.warnings),
            "referrals": [r.pk for r in created],
        },
    )
    _event(
        case_id=case.pk,
        actor=actor,
        action="planned",
        at=now,
        referrals=[r.pk for r in created],
        targets=sorted(keys),
        adjusted=adjusted,
    )
    for referral in created:
        if not referral.awaiting_clearance:
            _enqueue_delivery(referral.pk)
    _timing(case=case)
    return created


# --- delivery (called by the worker) ----------------------------------------------------


@dataclass(frozen=True)
class DeliveryClaim:
    referral_id: int
    attempt_number: int
    kind: str  # AttemptKind
    notice_number: int


def claim_delivery(*, referral_id: int, now: datetime | None = None) -> DeliveryClaim | None:
    """Take a due delivery (first send, retry or repeated notice) for this worker, or None.

    The claim pushes next_attempt_at forward by a lease, so a duplicate task finds nothing due;
    a worker that dies mid-send is covered when the lease runs out (at-least-once delivery).
    """
    now = now or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None or referral.is_final or referral.awaiting_clearance:
            return None
        if referral.next_attempt_at is None or referral.next_attempt_at > now:
            return None
        if referral.state == ReferralState.PLANNED:
            kind = AttemptKind.INITIAL
        elif referral.state == ReferralState.FAILED:
            kind = AttemptKind.RETRY
        elif referral.target == Target.HOST_NOTICE:
            kind = AttemptKind.REMINDER
        else:
            referral.next_attempt_at = None  # sent police/partner referrals are not repeated
            referral.save(update_fields=["next_attempt_at"])
            return None
        if referral.channel == DeliveryChannel.DOWNLOAD:
            kind = AttemptKind.PACKAGE
        if (
            referral.target == Target.HOST_NOTICE
            and referral.notice_count >= conf.escalate_after()
            and referral.escalated_at is None
        ):
            _escalate(referral, now)
        referral.attempts += 1
        referral.next_attempt_at = now + conf.delivery_lease()
        referral.save(update_fields=["attempts", "next_attempt_at", "escalated_at"])
        return DeliveryClaim(
            referral_id=referral.pk,
            attempt_number=referral.attempts,
            kind=kind,
            notice_number=referral.notice_count + 1,
        )


def _escalate(referral: Referral, now: datetime) -> None:
    referral.escalated_at = now
    audit.record(
        actor=SYSTEM,
        action="referral.escalated",
        object_type="referral",
        object_id=referral.pk,
        details={"case": referral.case_id, "notices": referral.notice_count},
    )
    _event(case_id=referral.case_id, actor=None, action="escalated", at=now, referral=referral.pk,
           notices=referral.notice_count)  # fmt: skip
    send_escalation_email.enqueue(referral.pk)


def store_police_package(*, referral_id: int, content: bytes, sha256: str, files: dict[str, str]) -> Referral:
    """Keep the built package (encrypted) with its SHA-256, recorded in the audit log. Once per referral."""
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.package_sha256:
            return referral
        referral.package = base64.b64encode(content).decode("ascii")
        referral.package_sha256 = sha256
        referral.package_built_at = timezone.now()
        referral.save(update_fields=["package", "package_sha256", "package_built_at"])
        audit.record(
            actor=SYSTEM,
            action="referral.package_built",
            object_type="referral",
            object_id=referral.pk,
            details={"case": referral.case_id, "sha256": sha256, "files": files, "bytes": len(content)},
        )
    return referral


_DELIVERY_FIELDS = [
    "state",
    "state_changed_at",
    "sent_at",
    "last_error",
    "failures",
    "failed_at",
    "xarf_report_id",
    "notice_count",
    "last_notice_at",
    "next_attempt_at",
]


def record_delivery_success(
    *,
    claim: DeliveryClaim,
    message_id: str = "",
    duration_ms: int = 0,
    xarf_report_id: str = "",
    now: datetime | None = None,
) -> Referral:
    now = now or timezone.now()
    with transaction.atomic():
        referral = _lock_referral(claim.referral_id)
        DeliveryAttempt.objects.create(
            referral=referral,
            number=claim.attempt_number,
            kind=claim.kind,
            at=now,
            ok=True,
            message_id=message_id[:250],
            duration_ms=duration_ms,
        )
        if referral.is_final:  # removed while we were sending
            referral.next_attempt_at = None
            referral.save(update_fields=["next_attempt_at"])
            return referral
        new_state = lifecycle.state_after_success(
            delivered=referral.delivered_at is not None, acknowledged=referral.acknowledged_at is not None
        )
        previous = _set_state(referral, new_state, now)
        first = referral.sent_at is None
        referral.sent_at = referral.sent_at or now
        referral.last_error = ""
        referral.failures = 0
        if xarf_report_id:
            referral.xarf_report_id = xarf_report_id
        if referral.target == Target.HOST_NOTICE:
            referral.notice_count += 1
            referral.last_notice_at = now
            referral.next_attempt_at = now + conf.notice_interval()
        else:
            referral.next_attempt_at = None
        referral.save(update_fields=_DELIVERY_FIELDS)  # never re-encrypts the package on each notice
        audit.record(
            actor=SYSTEM,
            action="referral.sent" if first else "referral.resent",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "target": referral.target,
                "channel": referral.channel,
                "attempt": claim.attempt_number,
                "kind": claim.kind,
                "notice": referral.notice_count if referral.target == Target.HOST_NOTICE else None,
                "from": previous,
                "to": referral.state,
                "xarf_report_id": xarf_report_id or None,
                "package_sha256": referral.package_sha256 or None,
            },
        )
        _event(case_id=referral.case_id, actor=None, action="sent", at=now, referral=referral.pk,
               target=referral.target, attempt=claim.attempt_number, kind=claim.kind)  # fmt: skip
        if referral.next_attempt_at is not None:
            _enqueue_delivery(referral.pk, at=referral.next_attempt_at)
        if first:  # only a first sending changes the case's times
            _timing(case=referral.case)
    return referral


def describe_error(exc: BaseException) -> tuple[str, int | None]:
    """A short error text for staff and the SMTP code when there is one."""
    import smtplib

    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _msg in exc.recipients.values()})
        return f"Recipient refused by the mail server (SMTP {', '.join(map(str, codes))})", (
            codes[0] if codes else None
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}".strip()[:500], int(exc.smtp_code)
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500], None


def record_delivery_failure(
    *,
    claim: DeliveryClaim,
    error: str,
    smtp_code: int | None = None,
    duration_ms: int = 0,
    now: datetime | None = None,
) -> Referral:
    now = now or timezone.now()
    error = (error or "unknown error").strip()[:500] or "unknown error"
    with transaction.atomic():
        referral = _lock_referral(claim.referral_id)
        DeliveryAttempt.objects.create(
            referral=referral,
            number=claim.attempt_number,
            kind=claim.kind,
            at=now,
            ok=False,
            error=error,
            smtp_code=smtp_code,
            duration_ms=duration_ms,
        )
        if referral.is_final:
            referral.next_attempt_at = None
            referral.save(update_fields=["next_attempt_at"])
            return referral
        previous = _set_state(referral, ReferralState.FAILED, now)
        referral.failures += 1
        referral.last_error = error
        referral.failed_at = now
        retry = lifecycle.should_retry(failures=referral.failures, max_failures=conf.max_failures())
        referral.next_attempt_at = (
            now + backoff(referral.failures, base=conf.retry_base(), cap=conf.retry_cap()) if retry else None
        )
        referral.save(update_fields=_DELIVERY_FIELDS)
        audit.record(
            actor=SYSTEM,
            action="referral.delivery_failed",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "target": referral.target,
                "attempt": claim.attempt_number,
                "kind": claim.kind,
                "failures": referral.failures,
                "smtp_code": smtp_code,
                "from": previous,
                "next_attempt_at": referral.next_attempt_at,
                "gave_up": not retry,
            },
        )
        _event(case_id=referral.case_id, actor=None, action="failed", at=now, referral=referral.pk,
               attempt=claim.attempt_number, smtp_code=smtp_code, gave_up=not retry)  # fmt: skip
        if referral.next_attempt_at is not None:
            _enqueue_delivery(referral.pk, at=referral.next_attempt_at)
    return referral


def mark_escalation_mailed(*, referral_id: int, recipients: int) -> bool:
    """Claim the escalation email once; returns False when it was already sent."""
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.escalation_mailed_at is not None:
            return False
        referral.escalation_mailed_at = timezone.now()
        referral.save(update_fields=["escalation_mailed_at"])
        audit.record(
            actor=SYSTEM,
            action="referral.escalation_mailed",
            object_type="referral",
            object_id=referral.pk,
            details={"case": referral.case_id, "recipients": recipients},
        )
    return True


# --- staff actions ---------------------------------------------------------------------


def _staff_action(
    *, referral: Referral, actor: StaffUser, action: str, to_state: str | None, details: dict[str, Any] | None = None
) -> datetime:
    """Move a locked referral (if to_state), audit and put it on the timeline. The caller saves."""
    now = timezone.now()
    previous = referral.state
    if to_state is not None:
        _set_state(referral, to_state, now)
    audit.record(
        actor=actor,
        action=f"referral.{action}",
        object_type="referral",
        object_id=referral.pk,
        details={"case": referral.case_id, "from": previous, "to": referral.state, **(details or {})},
    )
    _event(case_id=referral.case_id, actor=actor, action=action, at=now, referral=referral.pk, **(details or {}))
    return now


def mark_delivered(*, referral_id: int, actor: StaffUser) -> Referral:
    """The recipient confirmed receipt (for email, only a person can know this)."""
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.state != ReferralState.SENT:
            raise ReferralError(_("Only a sent referral can be marked delivered."))
        now = _staff_action(referral=referral, actor=actor, action="delivered", to_state=ReferralState.DELIVERED)
        referral.delivered_at = now
        referral.save()
    return referral


def mark_acknowledged(*, referral_id: int, actor: StaffUser, evidence: str) -> Referral:
    """A person at the recipient answered. Bounces and automatic replies are not acknowledgements."""
    if evidence not in AckEvidence.values:
        raise ReferralError(_("Choose how the acknowledgement came (a bounce or an automatic reply does not count)."))
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.state not in {ReferralState.SENT, ReferralState.DELIVERED}:
            raise ReferralError(_("Only a sent or delivered referral can be acknowledged."))
        now = _staff_action(
            referral=referral,
            actor=actor,
            action="acknowledged",
            to_state=ReferralState.ACKNOWLEDGED,
            details={"evidence": evidence},
        )
        referral.acknowledged_at = now
        referral.delivered_at = referral.delivered_at or now
        referral.ack_evidence = evidence
        referral.save()
    return referral


def record_reply(*, referral_id: int, actor: StaffUser | str, kind: str) -> Referral:
    """Record an answer that is not an acknowledgement: a bounce fails the delivery (no automatic
    retry: the address is wrong), an automatic reply only goes on the timeline."""
    if kind not in {"bounce", "auto_reply"}:
        raise ReferralError(_("Unknown kind of reply."))
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if kind == "bounce":
            if referral.state not in SENT_STATES:
                raise ReferralError(_("Only a sent referral can bounce."))
            now = timezone.now()
            previous = _set_state(referral, ReferralState.FAILED, now)
            referral.failures += 1
            referral.failed_at = now
            referral.last_error = _("The message bounced (recorded by staff): check the address and retry.")
            referral.next_attempt_at = None
            referral.save()
            audit.record(
                actor=actor,
                action="referral.bounced",
                object_type="referral",
                object_id=referral.pk,
                details={"case": referral.case_id, "from": previous, "to": referral.state},
            )
            _event(case_id=referral.case_id, actor=actor, action="bounced", at=now, referral=referral.pk)
        else:
            now = timezone.now()
            audit.record(
                actor=actor,
                action="referral.auto_reply",
                object_type="referral",
                object_id=referral.pk,
                details={"case": referral.case_id, "state": referral.state},
            )
            _event(case_id=referral.case_id, actor=actor, action="auto_reply", at=now, referral=referral.pk)
    return referral


def release_after_clearance(*, referral_id: int, actor: StaffUser) -> Referral:
    """The police cleared the case: the notice to the host may go now."""
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if not referral.awaiting_clearance or referral.is_final:
            raise ReferralError(_("This referral is not waiting for police clearance."))
        now = _staff_action(referral=referral, actor=actor, action="cleared", to_state=None)
        referral.awaiting_clearance = False
        referral.cleared_at = now
        referral.next_attempt_at = now
        referral.save()
        _enqueue_delivery(referral.pk)
    return referral


def retry_delivery(*, referral_id: int, actor: StaffUser, recipient_email: str = "") -> Referral:
    """Try a failed delivery again now, optionally to a corrected address."""
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.state != ReferralState.FAILED:
            raise ReferralError(_("Only a failed delivery can be retried."))
        changed = False
        if recipient_email.strip():
            if referral.channel != DeliveryChannel.EMAIL:
                raise ReferralError(_("This referral is not sent by email."))
            new_address = _clean_email(recipient_email)
            changed = new_address != referral.recipient_email
            referral.recipient_email = new_address
        now = _staff_action(
            referral=referral,
            actor=actor,
            action="retry",
            to_state=None,
            details={"address_changed": changed},
        )
        referral.failures = 0
        referral.next_attempt_at = now
        referral.save()
        _enqueue_delivery(referral.pk)
    return referral


def mark_not_removed(*, referral_id: int, actor: StaffUser, reason: str) -> Referral:
    """Stop following this referral: the recipient will not (or cannot) remove the material."""
    reason = (reason or "").strip()
    if not reason:
        raise ReferralError(_("Say why the material is not removed."))
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.is_final:
            raise ReferralError(_("This referral is already closed."))
        now = _staff_action(referral=referral, actor=actor, action="not_removed", to_state=ReferralState.NOT_REMOVED)
        referral.not_removed_at = now
        referral.not_removed_reason = reason
        referral.next_attempt_at = None
        referral.save()
    return referral


def package_content(referral: Referral) -> bytes:
    """The stored police package (a ZIP). Raises ReferralError once it was erased with the reporters'
    texts (erase_expired_police_packages): an empty file is never handed out or mailed."""
    if not referral.package:
        raise ReferralError(_("This police package was erased when its retention period ran out."))
    return base64.b64decode(referral.package)


def open_package(*, referral_id: int, actor: StaffUser) -> tuple[bytes, str, str]:
    """Hand the police package to the liaison (audited). The first download marks it delivered."""
    with transaction.atomic():
        referral = _lock_referral(referral_id)
        if referral.target != Target.POLICE or not referral.package_sha256:
            raise ReferralError(_("No police package has been built for this referral yet."))
        content = package_content(referral)
        now = timezone.now()
        previous = referral.state
        if referral.state == ReferralState.SENT and referral.channel == DeliveryChannel.DOWNLOAD:
            _set_state(referral, ReferralState.DELIVERED, now)
            referral.delivered_at = now
            referral.save()
        audit.record(
            actor=actor,
            action="referral.package_downloaded",
            object_type="referral",
            object_id=referral.pk,
            details={
                "case": referral.case_id,
                "sha256": referral.package_sha256,
                "from": previous,
                "to": referral.state,
            },
        )
        _event(case_id=referral.case_id, actor=actor, action="package_downloaded", at=now, referral=referral.pk)
    return content, referral.package_sha256, f"police-referral-{referral.reference}.zip"


# --- removal ---------------------------------------------------------------------------


def mark_content_removed(
    *, case_id: int, actor: StaffUser | str, method: str, at: datetime | None = None
) -> list[Referral]:
    """The material is gone: close every open referral of the case, record the times, start monitoring."""
    if method not in RemovalMethod.values:
        raise ReferralError(_("Choose how the removal was checked."))
    now = timezone.now()
    removed_at = min(at or now, now)
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise ReferralNotFound(_("No such case."))
        open_referrals = list(
            Referral.objects.select_for_update().filter(case=case).exclude(state__in=list(FINAL_STATES))
        )
        if not open_referrals:
            raise ReferralError(_("This case has no open referral to close."))
        for referral in open_referrals:
            _set_state(referral, ReferralState.CONTENT_REMOVED, now)
            referral.content_removed_at = removed_at
            referral.removal_method = method
            referral.next_attempt_at = None
            referral.awaiting_clearance = False
            referral.save()
        ids = [r.pk for r in open_referrals]
        timing = _timing(case=case, removed_at=removed_at, removal_method=method)
        audit.record(
            actor=actor,
            action="referral.content_removed",
            object_type="case",
            object_id=case.pk,
            details={
                "referrals": ids,
                "method": method,
                "notice_to_removal_seconds": timing.notice_to_removal_seconds,
                "report_to_removal_seconds": timing.report_to_removal_seconds,
            },
        )
        _event(case_id=case.pk, actor=actor, action="content_removed", at=now, referrals=ids, method=method)
        if case.state == CaseState.REFERRED:
            transition_case(case=case, to_state=CaseState.MONITORING, actor=actor, details={"removal": method})
        if case.state == CaseState.MONITORING:
            period = conf.monitoring_period()
            if not period:
                transition_case(case=case, to_state=CaseState.CLOSED, actor=actor, close_reason=CloseReason.REMOVED)
            else:
                close_monitored_case.using(run_after=removed_at + period).enqueue(case.pk)
    return open_referrals


def enqueue_due_deliveries(*, now: datetime | None = None) -> int:
    """Safety net: enqueue deliveries that are due but whose task was lost, and unsent escalation emails."""
    ids = selectors.due_referral_ids(now=now or timezone.now())
    for referral_id in ids:
        deliver_referral.enqueue(referral_id)
    pending_mail = list(
        Referral.objects.filter(escalated_at__isnull=False, escalation_mailed_at__isnull=True)
        .exclude(state__in=list(FINAL_STATES))
        .values_list("pk", flat=True)[:100]
    )
    for referral_id in pending_mail:
        send_escalation_email.enqueue(referral_id)
    return len(ids) + len(pending_mail)


def close_finished_monitoring() -> int:
    """Safety net: close every monitored case whose monitoring period has passed (at most 1000 a run)."""
    closed = 0
    for case_id in Case.objects.filter(state=CaseState.MONITORING).values_list("pk", flat=True)[:1000]:
        closed += close_after_monitoring(case_id=case_id)
    return closed


def close_after_monitoring(*, case_id: int, now: datetime | None = None) -> bool:
    """Close a monitored case as removed once the monitoring period has passed. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or case.state != CaseState.MONITORING:
            return False
        timing = ReferralTiming.objects.filter(case=case).first()
        if timing is None or timing.removed_at is None or timing.removed_at + conf.monitoring_period() > now:
            return False
        if Referral.objects.filter(case=case).exclude(state__in=list(FINAL_STATES)).exists():
            return False
        transition_case(
            case=case,
            to_state=CaseState.CLOSED,
            actor=SYSTEM,
            close_reason=CloseReason.REMOVED,
            details={"monitoring_ended": True},
        )
    return True


def _timing(*, case: Case, removed_at: datetime | None = None, removal_method: str = "") -> ReferralTiming:
    """Recompute the case's statistics row from its referrals (called inside the writer's transaction)."""
    timing, _created = ReferralTiming.objects.get_or_create(case=case)
    referrals = list(Referral.objects.filter(case=case))
    timing.hosting_country = case.hosting_country or timing.hosting_country
    timing.first_report_at = timing.first_report_at or selectors.first_report_at(case=case)
    police_sent = [r.sent_at for r in referrals if r.target == Target.POLICE and r.sent_at]
    if police_sent:
        timing.police_referred_at = min(police_sent)
        timing.report_to_police_seconds = max(
            0, int((timing.police_referred_at - timing.first_report_at).total_seconds())
        )
    notices = sorted(
        ((r.sent_at, r.target) for r in referrals if r.target != Target.POLICE and r.sent_at), key=lambda x: x[0]
    )
    if notices:
        timing.first_notice_at, timing.first_notice_target = notices[0]
    if removed_at is not None:
        timing.removed_at = removed_at
        timing.removal_method = removal_method
    if timing.removed_at is not None:
        timing.report_to_removal_seconds = max(0, int((timing.removed_at - timing.first_report_at).total_seconds()))
        if timing.first_notice_at is not None:
            timing.notice_to_removal_seconds = max(0, int((timing.removed_at - timing.first_notice_at).total_seconds()))
    timing.save()
    return timing


# --- partner hotlines ------------------------------------------------------------------


def _clean_partner(*, name: str, countries: str, referral_email: str, language: str) -> dict[str, str]:
    name = (name or "").strip()
    if not name:
        raise ReferralError(_("Give the partner hotline a name."))
    codes = [c.strip().upper() for c in (countries or "").replace(" ", ",").split(",") if c.strip()]
    if not codes or any(len(c) != 2 or not c.isalpha() for c in codes):
        raise ReferralError(_("Countries are two-letter ISO codes separated by commas, e.g. NL,BE."))
    if conf.home_country() in codes:
        raise ReferralError(_("A partner hotline cannot cover our own country."))
    if language not in {"sv", "en"}:
        raise ReferralError(_("Choose Swedish or English."))
    return {
        "name": name[:120],
        "countries": ",".join(dict.fromkeys(codes)),
        "referral_email": _clean_email(referral_email),
        "language": language,
    }


def create_partner(
    *, actor: StaffUser, name: str, countries: str, referral_email: str, language: str = "en", active: bool = True
) -> PartnerHotline:
    values = _clean_partner(name=name, countries=countries, referral_email=referral_email, language=language)
    try:
        with transaction.atomic():
            partner = PartnerHotline.objects.create(active=active, **values)
            audit.record(
                actor=actor,
                action="referral.partner_created",
                object_type="partner_hotline",
                object_id=partner.pk,
                details={"countries": partner.country_codes, "language": partner.language, "active": partner.active},
            )
    except IntegrityError as exc:
        raise ReferralError(_("A partner hotline with this name exists already.")) from exc
    return partner


def update_partner(
    *,
    partner_id: int,
    actor: StaffUser,
    name: str,
    countries: str,
    referral_email: str,
    language: str = "en",
    active: bool = True,
) -> PartnerHotline:
    values = _clean_partner(name=name, countries=countries, referral_email=referral_email, language=language)
    try:
        with transaction.atomic():
            partner = PartnerHotline.objects.select_for_update().filter(pk=partner_id).first()
            if partner is None:
                raise ReferralNotFound(_("No such partner hotline."))
            changed = sorted(k for k, v in {**values, "active": active}.items() if getattr(partner, k) != v)
            for key, value in values.items():
                setattr(partner, key, value)
            partner.active = active
            partner.save()
            audit.record(
                actor=actor,
                action="referral.partner_updated",
                object_type="partner_hotline",
                object_id=partner.pk,
                details={"changed": changed, "countries": partner.country_codes, "active": partner.active},
            )
    except IntegrityError as exc:
        raise ReferralError(_("A partner hotline with this name exists already.")) from exc
    return partner


ERASE_BATCH = 500  # referrals per transaction (and per audit entry)


def erase_expired_police_packages(*, now: datetime | None = None) -> int:
    """The hotline's stored copy of a police package holds the reporters' texts: erase it with them,
    once its case has been closed for HOTLINE_REPORT_TEXT_RETENTION_DAYS (off when unset). The
    package's SHA-256 and build time stay as the record of what was handed over. Batches of
    ERASE_BATCH, each locking its cases and with one audit entry (referral ids and numbers only).
    Returns how many packages were erased."""
    from datetime import timedelta

    from hotline.cases import conf as cases_conf

    days = cases_conf.report_text_retention_days()
    if days is None:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = selectors.with_stored_package(
        Referral.objects.filter(target=Target.POLICE, case__state=CaseState.CLOSED, case__state_changed_at__lte=cutoff)
    ).order_by("pk")
    erased = 0
    while candidates := list(expired.values_list("pk", flat=True)[:ERASE_BATCH]):
        with transaction.atomic():
            # The cases first (a reopening locks its case too), then check again under the lock.
            case_ids = Referral.objects.filter(pk__in=candidates).values("case_id")
            list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").values_list("pk", flat=True))
            ids = list(expired.filter(pk__in=candidates).values_list("pk", flat=True))
            Referral.objects.filter(pk__in=ids).update(package="")
            audit.record(
                actor=SYSTEM,
                action="referral.packages_erased",
                object_type="referral",
                details={"referrals": len(ids), "referral_ids": ids, "retention_days": days},
            )
        erased += len(ids)
    return erased
