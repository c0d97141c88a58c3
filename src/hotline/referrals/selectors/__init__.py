"""Reads of the referrals app, one module per subject; every public name is re-exported here, where callers have
always found it (`selectors.case_plan`, `selectors.ReferralSnapshot`, ...).

- plan: a case's referral plan (confirmed assessment, partner hotlines, rule facts, CasePlan).
- hosting: where a case's material is hosted, as the referrals see it (HostingFacts).
- lists: referrals of a case, by state, failed, escalated, police packages to collect, deliveries due.
- snapshots: what a message or a police package about one referral may say.
- removal_times: removal times per case and their summaries.
"""

from hotline.referrals.selectors.hosting import HostingFacts, case_hosting
from hotline.referrals.selectors.lists import (
    awaiting_download,
    due_referral_ids,
    escalated_referrals,
    failed_referrals,
    get_case,
    get_referral,
    referral_list,
    referrals_for_case,
    with_stored_package,
)
from hotline.referrals.selectors.plan import (
    CasePlan,
    active_partners,
    all_partners,
    case_plan,
    confirmed_assessment,
    partner_for_country,
    rule_facts,
)
from hotline.referrals.selectors.removal_times import (
    DurationSummary,
    RemovalTime,
    removal_time_summary,
    removal_times,
    summarise_seconds,
)
from hotline.referrals.selectors.snapshots import ReferralSnapshot, first_report_at, police_case_data, referral_snapshot

__all__ = [
    "CasePlan",
    "DurationSummary",
    "HostingFacts",
    "ReferralSnapshot",
    "RemovalTime",
    "active_partners",
    "all_partners",
    "awaiting_download",
    "case_hosting",
    "case_plan",
    "confirmed_assessment",
    "due_referral_ids",
    "escalated_referrals",
    "failed_referrals",
    "first_report_at",
    "get_case",
    "get_referral",
    "partner_for_country",
    "police_case_data",
    "referral_list",
    "referral_snapshot",
    "referrals_for_case",
    "removal_time_summary",
    "removal_times",
    "rule_facts",
    "summarise_seconds",
    "with_stored_package",
]
