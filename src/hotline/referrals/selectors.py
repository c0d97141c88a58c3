"""Reads of the referrals app: plan facts, referral lists, snapshots for notices and packages, removal times."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Min, Q, QuerySet

from hotline.cases.models import Assessment, AssessmentStatus, Case, Report
from hotline.referrals import conf
from hotline.referrals.hosting import HostingFacts, hosting_facts
from hotline.referrals.models import (
    FINAL_STATES,
    PartnerHotline,
    Referral,
    ReferralState,
    ReferralTiming,
    Target,
)
from hotline.referrals.rules import ReferralPlan, RuleFacts, configured_rules, plan_referrals


def current_assessment(*, case: Case) -> Assessment | None:
    """The newest confirmed assessment of a case (None while unassessed or awaiting review)."""
    return (
        Assessment.objects.filter(case=case, status=AssessmentStatus.CONFIRMED).order_by("-created_at", "-pk").first()
    )


def active_partners() -> list[PartnerHotline]:
    return list(PartnerHotline.objects.filter(active=True).order_by("name"))


def all_partners() -> QuerySet[PartnerHotline]:
    return PartnerHotline.objects.order_by("-active", "name")


def partner_for_country(*, country: str, partners: list[PartnerHotline] | None = None) -> PartnerHotline | None:
    """The active partner hotline covering a country (the table is small: filtered in Python)."""
    country = (country or "").upper()
    if not country or country == conf.home_country():
        return None
    for partner in partners if partners is not None else active_partners():
        if partner.active and country in partner.country_codes:
            return partner
    return None


def rule_facts(
    *, case: Case, assessment: Assessment, hosting: HostingFacts, partner: PartnerHotline | None
) -> RuleFacts:
    return RuleFacts(
        verdict=assessment.verdict,
        kind=assessment.kind or case.kind,
        nexus_server=assessment.nexus_server,
        nexus_victim=assessment.nexus_victim,
        nexus_offender=assessment.nexus_offender,
        home_country=conf.home_country(),
        hosting_country=hosting.country,
        partner_available=partner is not None,
        partner_id=partner.pk if partner else None,
        partner_name=partner.name if partner else "",
        abuse_contact_present=bool(hosting.abuse_email),
        origin_hidden=hosting.origin_hidden,
        cdn_name=hosting.cdn_name,
        has_url=bool(case.url_index),
    )


@dataclass
class CasePlan:
    """Everything the plan page shows and the confirm service re-checks."""

    case: Case
    assessment: Assessment | None
    hosting: HostingFacts
    partner: PartnerHotline | None
    plan: ReferralPlan | None
    referrals: list[Referral]
    partners: list[PartnerHotline]
    open_keys: frozenset[str] = field(default_factory=frozenset)
    facts: RuleFacts | None = None

    @property
    def pending_keys(self) -> frozenset[str]:
        """Proposed targets not already referred (open)."""
        return (self.plan.keys if self.plan else frozenset()) - self.open_keys

    @property
    def blocked_reason(self) -> str:
        from django.utils.translation import gettext as _

        from hotline.cases.models import CaseState

        if self.assessment is None:
            return _("The case has no confirmed assessment yet: a referral plan needs one.")
        if self.case.state not in {CaseState.ASSESSED, CaseState.REFERRED, CaseState.MONITORING}:
            return _("Referrals can be confirmed when the case is assessed (it is now “%(state)s”).") % {
                "state": CaseState(self.case.state).label
            }
        return ""


def case_plan(*, case: Case) -> CasePlan:
    assessment = current_assessment(case=case)
    hosting = hosting_facts(host=case.host, fallback_country=case.hosting_country)
    partners = active_partners()
    partner = partner_for_country(country=hosting.country, partners=partners)
    plan = None
    facts = None
    if assessment is not None:
        rules = configured_rules(policy=conf.referral_policy(), rules_file=conf.rules_file())
        facts = rule_facts(case=case, assessment=assessment, hosting=hosting, partner=partner)
        plan = plan_referrals(facts, rules)
    referrals = list(case_referrals(case_id=case.pk))
    open_keys = frozenset(r.target_key for r in referrals if r.state not in FINAL_STATES)
    return CasePlan(
        case=case,
        assessment=assessment,
        hosting=hosting,
        partner=partner,
        plan=plan,
        referrals=referrals,
        partners=partners,
        open_keys=open_keys,
        facts=facts,
    )


def get_case(*, case_id: int) -> Case | None:
    return Case.objects.filter(pk=case_id).first()


def case_referrals(*, case_id: int) -> QuerySet[Referral]:
    return Referral.objects.filter(case_id=case_id).select_related("partner").order_by("planned_at", "pk")


def referrals_for_case(*, case: Case) -> list[Referral]:
    """For the case page (rendered with referrals/_case_referrals.html)."""
    return list(case_referrals(case_id=case.pk))


def get_referral(*, referral_id: int) -> Referral | None:
    return (
        Referral.objects.filter(pk=referral_id)
        .select_related("case", "partner", "created_by")
        .prefetch_related("delivery_attempts")
        .first()
    )


def referral_list(*, state: str = "") -> QuerySet[Referral]:
    qs = Referral.objects.select_related("case", "partner").order_by("-state_changed_at", "-pk")
    if state in ReferralState.values:
        qs = qs.filter(state=state)
    return qs


def failed_referrals() -> QuerySet[Referral]:
    """Every referral whose latest delivery failed (retrying or given up), oldest failure first."""
    return Referral.objects.filter(state=ReferralState.FAILED).select_related("case", "partner").order_by("failed_at")


def escalated_referrals() -> QuerySet[Referral]:
    """Notices repeated HOTLINE_NOTICE_ESCALATE_AFTER times without removal, still open."""
    return (
        Referral.objects.filter(escalated_at__isnull=False)
        .exclude(state__in=list(FINAL_STATES))
        .select_related("case", "partner")
        .order_by("escalated_at")
    )


def with_stored_package(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Only referrals whose police package is still stored (not erased with the reporters' texts)."""
    from django.db.models.functions import Length

    # An encrypted column takes no "=" lookup; its length tells an empty one apart.
    return referrals.annotate(package_length=Length("package")).filter(package_length__gt=0)


def awaiting_download() -> QuerySet[Referral]:
    """Police packages ready to collect (one erased at the end of its retention period is not)."""
    return with_stored_package(
        Referral.objects.filter(
            target=Target.POLICE, channel="download", state=ReferralState.SENT, package_sha256__gt=""
        )
    ).select_related("case")


def due_referral_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Referral.objects.filter(next_attempt_at__lte=now, awaiting_clearance=False)
        .exclude(state__in=list(FINAL_STATES))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def case_reports(*, case: Case) -> QuerySet[Report]:
    return Report.objects.filter(Q(urls__case=case) | Q(situation_case=case)).distinct().order_by("received_at", "pk")


def first_report_at(*, case: Case) -> datetime:
    first = Report.objects.filter(Q(urls__case=case) | Q(situation_case=case)).aggregate(at=Min("received_at"))["at"]
    return first or case.created_at


# --- snapshots for notices and packages (built by the worker) ---------------------------


@dataclass(frozen=True)
class ReferralSnapshot:
    """What a message about one referral may say. No media, no reporter identity."""

    referral_id: int
    reference: str
    target: str
    channel: str
    language: str
    recipient_email: str
    recipient_name: str
    recipient_country: str
    partner_name: str
    case_id: int
    case_kind: str
    case_created_at: datetime
    canonical_url: str
    host: str
    registered_domain: str
    report_count: int
    verdict: str
    assessment_kind: str
    media_types: tuple[str, ...]
    site_type: str
    commercial: bool
    assessed_at: datetime | None
    hosting: HostingFacts
    notice_number: int
    first_notice_at: datetime | None
    first_seen_at: datetime  # the first report of the case: when the material was first seen (X-ARF timestamp)


def referral_snapshot(*, referral: Referral, notice_number: int = 1) -> ReferralSnapshot:
    case = referral.case
    assessment = current_assessment(case=case)
    hosting = hosting_facts(host=case.host, fallback_country=case.hosting_country)
    return ReferralSnapshot(
        referral_id=referral.pk,
        reference=referral.reference,
        target=referral.target,
        channel=referral.channel,
        language=referral.language,
        recipient_email=referral.recipient_email,
        recipient_name=referral.recipient_name,
        recipient_country=referral.recipient_country,
        partner_name=referral.partner.name if referral.partner_id and referral.partner else "",
        case_id=case.pk,
        case_kind=case.kind,
        case_created_at=case.created_at,
        canonical_url=case.canonical_url or "",
        host=case.host,
        registered_domain=case.registered_domain,
        report_count=case.report_count,
        verdict=assessment.verdict if assessment else "",
        assessment_kind=(assessment.kind if assessment else "") or case.kind,
        media_types=tuple(assessment.media_types or ()) if assessment else (),
        site_type=assessment.site_type if assessment else "",
        commercial=bool(assessment.commercial) if assessment else False,
        assessed_at=assessment.created_at if assessment else None,
        hosting=hosting,
        notice_number=notice_number,
        first_notice_at=referral.sent_at,
        first_seen_at=first_report_at(case=case),
    )


def police_case_data(*, referral: Referral) -> dict[str, Any]:
    """The case as JSON-ready data for the police package: facts, URL, reports' own words; no media,
    no reporter contact details (only whether the reporter left any)."""
    case = referral.case
    assessment = current_assessment(case=case)
    hosting = hosting_facts(host=case.host, fallback_country=case.hosting_country)
    reports = []
    for report in case_reports(case=case):
        reports.append(
            {
                "received_at": report.received_at.isoformat(),
                "channel": report.channel,
                "source": report.source_name,
                "kind": report.kind,
                "where_seen": report.where_seen or "",
                "description": report.description or "",
                "reporter_left_contact_details": bool(report.contact),
                "reporter_nexus_hints": {
                    "victim": report.nexus_victim,
                    "offender": report.nexus_offender,
                    "place": report.nexus_place,
                },
            }
        )
    return {
        "format": "hotline-police-referral/1",
        "reference": referral.reference,
        "organisation": conf.organisation(),
        "home_country": conf.home_country(),
        "case": {
            "id": case.pk,
            "kind": case.kind,
            "created_at": case.created_at.isoformat(),
            "canonical_url": case.canonical_url or "",
            "host": case.host,
            "registered_domain": case.registered_domain,
            "report_count": case.report_count,
        },
        "assessment": None
        if assessment is None
        else {
            "verdict": assessment.verdict,
            "kind": assessment.kind,
            "assessed_at": assessment.created_at.isoformat(),
            "media_types": list(assessment.media_types or []),
            "image_count": assessment.image_count,
            "video_count": assessment.video_count,
            "victim_age_group": assessment.victim_age_group,
            "victim_gender": assessment.victim_gender,
            "site_type": assessment.site_type,
            "commercial": assessment.commercial,
            "national_nexus": {
                "server": assessment.nexus_server,
                "victim": assessment.nexus_victim,
                "offender": assessment.nexus_offender,
            },
        },
        "hosting": {
            "country": hosting.country,
            "asn": hosting.asn,
            "network_name": hosting.network_name,
            "holder": hosting.holder,
            "abuse_email": hosting.abuse_email,
            "cdn": hosting.cdn_name,
            "origin_hidden": hosting.origin_hidden,
            "ips": list(hosting.ips),
            "found_at": hosting.found_at.isoformat() if hosting.found_at else None,
            "method": hosting.method,
        },
        "reports": reports,
        "media": "none (the hotline never stores or sends media)",
    }


# --- removal times ------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovalTime:
    case_id: int
    hosting_country: str
    first_report_at: datetime | None
    police_referred_at: datetime | None
    report_to_police_seconds: int | None
    first_notice_at: datetime | None
    first_notice_target: str
    removed_at: datetime | None
    removal_method: str
    notice_to_removal_seconds: int | None
    report_to_removal_seconds: int | None


def removal_times(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    country: str = "",
    removed_only: bool = False,
) -> list[RemovalTime]:
    """Per-case times for statistics. `since`/`until` bound the first report time (until exclusive)."""
    qs = ReferralTiming.objects.all().order_by("case_id")
    if since is not None:
        qs = qs.filter(first_report_at__gte=since)
    if until is not None:
        qs = qs.filter(first_report_at__lt=until)
    if country:
        qs = qs.filter(hosting_country=country.upper())
    if removed_only:
        qs = qs.filter(removed_at__isnull=False)
    return [
        RemovalTime(
            case_id=t.case_id,
            hosting_country=t.hosting_country,
            first_report_at=t.first_report_at,
            police_referred_at=t.police_referred_at,
            report_to_police_seconds=t.report_to_police_seconds,
            first_notice_at=t.first_notice_at,
            first_notice_target=t.first_notice_target,
            removed_at=t.removed_at,
            removal_method=t.removal_method,
            notice_to_removal_seconds=t.notice_to_removal_seconds,
            report_to_removal_seconds=t.report_to_removal_seconds,
        )
        for t in qs
    ]


@dataclass(frozen=True)
class DurationSummary:
    count: int
    median_seconds: float | None
    p90_seconds: float | None


def summarise_seconds(values: list[int]) -> DurationSummary:
    if not values:
        return DurationSummary(count=0, median_seconds=None, p90_seconds=None)
    ordered = sorted(values)
    p90_index = max(0, math.ceil(0.9 * len(ordered)) - 1)  # nearest rank
    return DurationSummary(
        count=len(ordered), median_seconds=float(statistics.median(ordered)), p90_seconds=float(ordered[p90_index])
    )


def removal_time_summary(**filters: Any) -> dict[str, DurationSummary]:
    rows = removal_times(**filters)
    return {
        "report_to_police": summarise_seconds(
            [r.report_to_police_seconds for r in rows if r.report_to_police_seconds is not None]
        ),
        "notice_to_removal": summarise_seconds(
            [r.notice_to_removal_seconds for r in rows if r.notice_to_removal_seconds is not None]
        ),
        "report_to_removal": summarise_seconds(
            [r.report_to_removal_seconds for r in rows if r.report_to_removal_seconds is not None]
        ),
    }


def supervisors_emails() -> list[str]:
    from hotline.core.authz import SUPERVISOR
    from hotline.staff.models import StaffUser

    return list(
        StaffUser.objects.filter(is_active=True, groups__name=SUPERVISOR)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
