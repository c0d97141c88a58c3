"""What a case's referral plan is made of: its confirmed assessment, where it is hosted, the partner hotlines,
the facts the rules look at, and the plan the rules propose (CasePlan: the plan page and the confirm service)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hotline.cases.models import Assessment, AssessmentStatus, Case, CaseState
from hotline.referrals import conf
from hotline.referrals.models import FINAL_STATES, PartnerHotline, Referral
from hotline.referrals.rules import ReferralPlan, RuleFacts, configured_rules, plan_referrals
from hotline.referrals.selectors.hosting import HostingFacts, case_hosting
from hotline.referrals.selectors.lists import referrals_for_case


def confirmed_assessment(*, case: Case) -> Assessment | None:
    """The newest confirmed assessment of a case (None while unassessed or awaiting review). Not the case
    page's cases.selectors.current_assessment, which also shows one awaiting review."""
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
    """Everything the plan page shows and the confirm service re-checks. `plan` is what the rules propose
    (None until the case has a confirmed assessment)."""

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
        if self.assessment is None:
            return _("The case has no confirmed assessment yet: a referral plan needs one.")
        if self.case.state not in {CaseState.ASSESSED, CaseState.REFERRED, CaseState.MONITORING}:
            return _("Referrals can be confirmed when the case is assessed (it is now “%(state)s”).") % {
                "state": CaseState(self.case.state).label
            }
        return ""


def case_plan(*, case: Case) -> CasePlan:
    """The referral plan of a case as it stands now (the page: views.plan_page)."""
    assessment = confirmed_assessment(case=case)
    hosting = case_hosting(case=case)
    partners = active_partners()
    partner = partner_for_country(country=hosting.country, partners=partners)
    plan = None
    facts = None
    if assessment is not None:
        rules = configured_rules(policy=conf.referral_policy(), rules_file=conf.rules_file())
        facts = rule_facts(case=case, assessment=assessment, hosting=hosting, partner=partner)
        plan = plan_referrals(facts, rules)
    referrals = referrals_for_case(case=case)
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
