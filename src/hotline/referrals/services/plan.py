"""Confirming a case's referral plan: one planned referral per chosen recipient (police, a partner hotline, the
host's abuse desk), their deliveries enqueued and the case moved to referred, in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases.models import Case, CaseState
from hotline.cases.services import transition_case
from hotline.core import audit
from hotline.referrals import conf, hooks, selectors
from hotline.referrals.errors import ReferralError, ReferralNotFound, StalePlan
from hotline.referrals.models import FINAL_STATES, DeliveryChannel, PartnerChannel, Referral, Target
from hotline.referrals.notices import notice_language
from hotline.referrals.rules import HOST_NOTICE, HOSTED_HOME, PARTNER_HOTLINE, POLICE, ProposedReferral
from hotline.referrals.services._common import case_event, clean_email, enqueue_delivery
from hotline.referrals.services.removal import refresh_timing
from hotline.staff.models import StaffUser

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def record_plan_view(*, case_id: int, viewer: StaffUser) -> None:
    """Opening a case's referral plan (hosting facts, recipients) is an access to the case: audited."""
    with transaction.atomic():
        audit.record(actor=viewer, action="referral.plan_viewed", object_type="case", object_id=case_id)


@dataclass(frozen=True)
class TargetChoice:
    """One recipient the analyst confirmed: "police", "host_notice" or "partner_hotline:<id>"."""

    key: str
    recipient_email: str = ""  # for a notice: overrides the traced abuse contact (registrar, CDN)
    share_description: bool = False  # a network forward: send the reporters' descriptions too


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
            case_plan = selectors.case_plan(case=case)
            if case_plan.assessment is None or case_plan.assessment.pk != assessment_id:
                raise StalePlan(_("The assessment changed since the plan was shown. Review the new plan."))
            if case_plan.blocked_reason:
                raise ReferralError(case_plan.blocked_reason)
            referrals = _create_referrals(
                case=case, case_plan=case_plan, actor=actor, choices=choices, adjust_reason=adjust_reason
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
    *, case: Case, case_plan: selectors.CasePlan, actor: StaffUser, choices: Sequence[TargetChoice], adjust_reason: str
) -> list[Referral]:
    assert case_plan.plan is not None
    keys = [c.key for c in choices]
    adjusted = _check_choices(case_plan, choices, adjust_reason=adjust_reason)
    proposals = {p.key: p for p in case_plan.plan.proposals}
    police_chosen = POLICE in keys or POLICE in case_plan.open_keys
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
            _address_police(referral)
        elif choice.key == HOST_NOTICE:
            _address_host(
                referral, case=case, case_plan=case_plan, choice=choice, proposal=proposal, police_chosen=police_chosen
            )
        elif choice.key.startswith(f"{PARTNER_HOTLINE}:"):
            _address_partner(referral, case_plan=case_plan, choice=choice)
        else:
            raise ReferralError(_("Unknown recipient."))
        _save_planned(referral, actor=actor, now=now)
        created.append(referral)
    _record_confirmed(
        case=case, case_plan=case_plan, actor=actor, keys=keys, adjusted=adjusted, created=created, now=now
    )
    for referral in created:
        if referral.channel == DeliveryChannel.NETWORK:
            # The network app writes the outbox row (and its send task) in this transaction.
            hooks.network_referral_planned.send(sender=Referral, referral=referral)
        elif not referral.awaiting_clearance:
            enqueue_delivery(referral.pk)
    refresh_timing(case=case)
    return created


def _check_choices(case_plan: selectors.CasePlan, choices: Sequence[TargetChoice], *, adjust_reason: str) -> bool:
    """Refuse an empty, repeated or already open choice; returns whether the analyst changed the proposal
    (which needs a reason)."""
    keys = [c.key for c in choices]
    if not keys:
        raise ReferralError(_("Choose at least one recipient."))
    if len(set(keys)) != len(keys):
        raise ReferralError(_("Each recipient can be chosen once."))
    already = set(keys) & case_plan.open_keys
    if already:
        raise ReferralError(
            _("This case already has an open referral to: %(targets)s.") % {"targets": ", ".join(sorted(already))}
        )
    traced_abuse = case_plan.hosting.abuse_email
    overridden = any(c.key == HOST_NOTICE and c.recipient_email and c.recipient_email != traced_abuse for c in choices)
    adjusted = set(keys) != set(case_plan.pending_keys) or overridden
    if adjusted and not adjust_reason:
        raise ReferralError(_("You changed the proposed plan: say why."))
    return adjusted


def _address_police(referral: Referral) -> None:
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
        referral.recipient_email = clean_email(conf.police_email())


def _address_host(
    referral: Referral,
    *,
    case: Case,
    case_plan: selectors.CasePlan,
    choice: TargetChoice,
    proposal: ProposedReferral | None,
    police_chosen: bool,
) -> None:
    hosting = case_plan.hosting
    if not case.url_index:
        raise ReferralError(_("This case has no URL: a notice to a host is not possible."))
    recipient = choice.recipient_email or hosting.abuse_email
    if not recipient:
        raise ReferralError(
            _("No abuse contact is known for this host: enter the address of the registrar or the CDN.")
        )
    referral.target = Target.HOST_NOTICE
    referral.channel = DeliveryChannel.EMAIL
    referral.recipient_email = clean_email(recipient)
    referral.recipient_name = (hosting.cdn_name if hosting.origin_hidden else "") or (
        hosting.holder or hosting.network_name
    )
    referral.recipient_country = hosting.country[:2]
    referral.language = notice_language(hosting.country)
    # A notice to a host at home waits for police clearance (policy police_first), also when
    # the analyst added it by hand.
    if proposal is not None:
        hold = proposal.after_police_clearance
    else:
        at_home = case_plan.facts is not None and case_plan.facts.hosted == HOSTED_HOME
        hold = at_home and conf.referral_policy() == "police_first"
    referral.awaiting_clearance = bool(hold and police_chosen)


def _address_partner(referral: Referral, *, case_plan: selectors.CasePlan, choice: TargetChoice) -> None:
    partners = {p.pk: p for p in case_plan.partners}
    try:
        partner = partners[int(choice.key.partition(":")[2])]
    except (KeyError, ValueError) as exc:
        raise ReferralError(_("Choose an active partner hotline.")) from exc
    referral.target = Target.PARTNER_HOTLINE
    referral.partner = partner
    if partner.channel == PartnerChannel.NETWORK:
        referral.channel = DeliveryChannel.NETWORK
        referral.share_description = choice.share_description
    else:
        referral.channel = DeliveryChannel.EMAIL
        referral.recipient_email = partner.referral_email
    referral.recipient_name = partner.name
    referral.recipient_country = (case_plan.hosting.country or (partner.country_codes or [""])[0])[:2]
    referral.language = partner.language or "en"


def _save_planned(referral: Referral, *, actor: StaffUser, now: datetime) -> None:
    # A network referral is sent by the network outbox, never by the email delivery (no due time here).
    if not referral.awaiting_clearance and referral.channel != DeliveryChannel.NETWORK:
        referral.next_attempt_at = now
    referral.save()
    audit.record(
        actor=actor,
        action="referral.planned",
        object_type="referral",
        object_id=referral.pk,
        details={
            "case": referral.case_id,
            "target": referral.target,
            "channel": referral.channel,
            "partner": referral.partner_id,
            "rule": referral.rule,
            "adjusted": referral.adjusted,
            "awaiting_clearance": referral.awaiting_clearance,
            "share_description": referral.share_description,
        },
    )


def _record_confirmed(
    *,
    case: Case,
    case_plan: selectors.CasePlan,
    actor: StaffUser,
    keys: list[str],
    adjusted: bool,
    created: list[Referral],
    now: datetime,
) -> None:
    assert case_plan.plan is not None
    audit.record(
        actor=actor,
        action="referral.plan_confirmed",
        object_type="case",
        object_id=case.pk,
        details={
            "assessment": case_plan.assessment.pk if case_plan.assessment else None,
            "proposed": sorted(case_plan.pending_keys),
            "chosen": sorted(keys),
            "adjusted": adjusted,
            "warnings": len(case_plan.plan.warnings),
            "referrals": [r.pk for r in created],
        },
    )
    case_event(
        case_id=case.pk,
        actor=actor,
        action="planned",
        at=now,
        referrals=[r.pk for r in created],
        targets=sorted(keys),
        adjusted=adjusted,
    )


def refer_to_police_now(*, case: Case, actor: StaffUser, urgency: str) -> int:
    """ "Contact police now" (cases.hooks.police_now_requested): a police referral planned and enqueued at once,
    without an assessment of material; part of the caller's locked, audited transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("refer_to_police_now must run inside the transaction of contact_police_now.")
    if Referral.objects.filter(case=case, target=Target.POLICE).exclude(state__in=FINAL_STATES).exists():
        raise ReferralError(_("This case already has an open referral to the police."))
    now = timezone.now()
    referral = Referral(
        reference=new_reference(),
        case=case,
        target_key=POLICE,
        created_by=actor,
        planned_at=now,
        state_changed_at=now,
        rule="police_now",
        reason=_("Contact police now: a child in this country may be at risk."),
    )
    _address_police(referral)
    _save_planned(referral, actor=actor, now=now)
    case_event(case_id=case.pk, actor=actor, action="planned", at=now, referrals=[referral.pk], targets=[POLICE])
    enqueue_delivery(referral.pk)
    refresh_timing(case=case)
    return referral.pk
