"""How a case's referrals end: the material removed (every open referral closed, monitoring started, the case
closed when it is over) or not removed; and the case's removal times (ReferralTiming) kept up to date."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases.models import Case, CaseState, CloseReason
from hotline.cases.services import transition_case
from hotline.core import audit
from hotline.referrals import conf, hooks, selectors
from hotline.referrals.errors import ReferralError, ReferralNotFound
from hotline.referrals.models import FINAL_STATES, Referral, ReferralState, ReferralTiming, RemovalMethod, Target
from hotline.referrals.services._common import SYSTEM, case_event, lock_referral, set_state, staff_action
from hotline.referrals.tasks import close_monitored_case
from hotline.staff.models import StaffUser


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
            set_state(referral, ReferralState.CONTENT_REMOVED, now)
            referral.content_removed_at = removed_at
            referral.removal_method = method
            referral.next_attempt_at = None
            referral.awaiting_clearance = False
            referral.save()
        ids = [r.pk for r in open_referrals]
        timing = refresh_timing(case=case, removed_at=removed_at, removal_method=method)
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
        case_event(case_id=case.pk, actor=actor, action="content_removed", at=now, referrals=ids, method=method)
        for referral in open_referrals:
            hooks.referral_progressed.send(sender=Referral, referral=referral, action="content_removed", at=removed_at)
        if case.state == CaseState.REFERRED:
            transition_case(case=case, to_state=CaseState.MONITORING, actor=actor, details={"removal": method})
        if case.state == CaseState.MONITORING:
            period = conf.monitoring_period()
            if not period:
                transition_case(case=case, to_state=CaseState.CLOSED, actor=actor, close_reason=CloseReason.REMOVED)
            else:
                close_monitored_case.using(run_after=removed_at + period).enqueue(case.pk)
    return open_referrals


def mark_not_removed(*, referral_id: int, actor: StaffUser | str, reason: str) -> Referral:
    """Stop following this referral: the recipient will not (or cannot) remove the material."""
    reason = (reason or "").strip()
    if not reason:
        raise ReferralError(_("Say why the material is not removed."))
    with transaction.atomic():
        referral = lock_referral(referral_id)
        if referral.is_final:
            raise ReferralError(_("This referral is already closed."))
        now = staff_action(referral=referral, actor=actor, action="not_removed", to_state=ReferralState.NOT_REMOVED)
        referral.not_removed_at = now
        referral.not_removed_reason = reason
        referral.next_attempt_at = None
        referral.save()
        hooks.referral_progressed.send(sender=Referral, referral=referral, action="not_removed", at=now)
    return referral


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


def refresh_timing(*, case: Case, removed_at: datetime | None = None, removal_method: str = "") -> ReferralTiming:
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
