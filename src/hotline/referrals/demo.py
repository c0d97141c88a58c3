"""Demo partner hotlines and referrals in every delivery state (made-up names, reserved domains only).

Runs after the cases and tracing demos. Uses assessed demo cases that have no referrals yet, and
creates its own small cases (with a confirmed assessment) for the rest. Everything goes through the
referral services and the worker's delivery code; mail is handed to a discarding backend (or to
one that refuses, for the failed example). Idempotent: an audit entry marks the demo as loaded.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import Case, CaseState
from hotline.core import audit
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.core.models import AuditEntry
from hotline.referrals import conf, selectors, services
from hotline.referrals.factories import partner_hotline
from hotline.referrals.models import PartnerHotline, Referral
from hotline.staff.models import StaffUser

ACTOR = "demo_data"
MARKER = "referral.demo_loaded"

PARTNERS = [
    ("Demo hotline NL", "NL", "hotline-nl@partners.example", "en"),
    ("Demo hotline DE", "DE,AT", "hotline-de@partners.example", "en"),
    ("Demo hotline US", "US", "hotline-us@partners.example", "en"),
    ("Demo hotline FI", "FI", "hotline-fi@partners.example", "sv"),
]


@dataclass(frozen=True)
class Slot:
    """One example: which recipients, what happens afterwards, and the own case used if none fits."""

    name: str
    keys: tuple[str, ...]  # "police", "host_notice", "partner:NL"
    outcome: str
    host: str
    country: str
    abuse_email: str = ""


SLOTS = [
    Slot("held", ("police", "host_notice"), "held", "bilder.example.test", "SE", "abuse@exempel-hosting.example"),
    Slot("partner", ("partner:NL",), "sent", "share.example.test", "NL"),
    Slot("police", ("police",), "downloaded", "forum.example.test", "SE"),
    Slot("ack", ("host_notice",), "acknowledged", "img.example.test", "US", "abuse@networks.example"),
    Slot("failed", ("host_notice",), "failed", "files.offshore.example.test", "BZ", "abuse@registrar.example"),
    Slot("removed", ("host_notice", "police"), "removed", "pics.example.test", "US", "abuse@networks.example"),
    Slot("not_removed", ("host_notice",), "not_removed", "dump.example.test", "US", "abuse@networks.example"),
    Slot("closed", ("partner:NL",), "closed", "gallery.example.test", "NL"),
]  # fmt: skip


class RefusingBackend(BaseEmailBackend):
    """A mail server that answers 451, to show a failed delivery with its error."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPDataError(451, b"4.3.0 Mailbox temporarily unavailable (demo)")


def load(stdout: Any) -> None:
    partners = _partners()
    if AuditEntry.objects.filter(action=MARKER).exists():
        return
    analyst = StaffUser.objects.filter(email="analyst@hotline.example").first()
    supervisor = StaffUser.objects.filter(email="supervisor@hotline.example").first()
    if analyst is None or supervisor is None:
        stdout.write("Referrals demo skipped: the demo staff accounts are missing.")
        return
    candidates = _existing_candidates()
    made = 0
    for slot in SLOTS:
        case = None if slot.name == "held" else (candidates.pop(0) if candidates else None)
        case = case or _own_case(slot, analyst)
        _play(slot, case, analyst=analyst, supervisor=supervisor, partners=partners)
        made += 1
    with transaction.atomic():
        audit.record(actor=ACTOR, action=MARKER, object_type="demo", details={"examples": made})
    stdout.write(
        f"Referrals demo: {len(set(partners.values()))} partner hotlines, {made} cases with referrals in every state."
    )


def _partners() -> dict[str, PartnerHotline]:
    by_country: dict[str, PartnerHotline] = {}
    for name, countries, email, language in PARTNERS:
        partner = PartnerHotline.objects.filter(name=name).first()
        if partner is None:
            partner = partner_hotline(name, countries, email, language, actor=ACTOR)
        for code in partner.country_codes:
            by_country.setdefault(code, partner)
    return by_country


def _existing_candidates() -> list[Case]:
    """Assessed demo cases with a URL, a confirmed illegal assessment and no referral yet."""
    out = []
    for case in Case.objects.filter(state=CaseState.ASSESSED, url_index__isnull=False).order_by("pk")[:50]:
        assessment = selectors.confirmed_assessment(case=case)
        if assessment is not None and assessment.is_illegal and not case.referrals.exists():
            out.append(case)
    return out


def _own_case(slot: Slot, analyst: StaffUser) -> Case:
    url = f"https://{slot.host}/demo/{slot.name}"
    case = Case.objects.filter(url_index=blind_index(url, purpose=IndexPurpose.CASE_URL)).first()
    if case is not None:
        return case
    with transaction.atomic():
        case = make_assessed_case(
            host=slot.host,
            path=f"/demo/{slot.name}",
            country=slot.country,
            hosting=False,
            analyst=analyst,
            received_at=timezone.now() - timedelta(days=3),
            description="Demo: a link seen in a public forum thread.",
            contact="",
            report_triaged=True,
            victim_age_group="",
            victim_gender="",
            image_count=12,
            nexus_server=slot.country == conf.home_country(),
        )
        audit.record(
            actor=ACTOR,
            action="case.demo_created",
            object_type="case",
            object_id=case.pk,
            details={"assessment": case.assessments.get().pk, "by": "referrals demo"},
        )
    return case


def _play(
    slot: Slot, case: Case, *, analyst: StaffUser, supervisor: StaffUser, partners: dict[str, PartnerHotline]
) -> None:
    state = selectors.case_plan(case=case)
    assert state.assessment is not None
    choices = []
    for key in slot.keys:
        if key.startswith("partner:"):
            partner = partners[key.partition(":")[2]]
            choices.append(services.TargetChoice(key=f"partner_hotline:{partner.pk}"))
        elif key == "host_notice":
            recipient = "" if state.hosting.abuse_email else (slot.abuse_email or "abuse@registrar.example")
            choices.append(services.TargetChoice(key=key, recipient_email=recipient))
        else:
            choices.append(services.TargetChoice(key=key))
    chosen = {c.key for c in choices}
    reason = "" if chosen == set(state.pending_keys) else "Demo: recipients chosen to show this delivery state."
    referrals = services.confirm_referral_plan(
        case_id=case.pk, actor=analyst, assessment_id=state.assessment.pk, choices=choices, adjust_reason=reason
    )
    dummy = get_connection("django.core.mail.backends.dummy.EmailBackend")
    for referral in referrals:
        if slot.outcome == "failed" and referral.target == "host_notice":
            services.deliver(referral.pk, connection=RefusingBackend())
        elif not referral.awaiting_clearance:
            services.deliver(referral.pk, connection=dummy)
    referrals = [Referral.objects.get(pk=r.pk) for r in referrals]
    if slot.outcome == "downloaded":
        for referral in referrals:
            if referral.target == "police" and referral.package_sha256:
                services.open_package(referral_id=referral.pk, actor=supervisor)
    elif slot.outcome == "acknowledged":
        for referral in referrals:
            services.mark_delivered(referral_id=referral.pk, actor=analyst)
            services.mark_acknowledged(referral_id=referral.pk, actor=analyst, evidence="human_reply")
    elif slot.outcome == "not_removed":
        (notice,) = referrals
        for _ in range(conf.escalate_after()):  # repeated notices, as the worker sends them each interval
            Referral.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
            services.deliver(notice.pk, connection=dummy)
        services.send_escalation(notice.pk, connection=dummy)
        services.mark_not_removed(referral_id=notice.pk, actor=supervisor, reason="Demo: the host does not answer.")
    elif slot.outcome in {"removed", "closed"}:
        services.mark_content_removed(case_id=case.pk, actor=analyst, method="reported_by_host")
        if slot.outcome == "closed":
            services.close_after_monitoring(case_id=case.pk, now=timezone.now() + conf.monitoring_period())
