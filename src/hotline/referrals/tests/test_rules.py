"""The referral rules as a table: facts in, targets and warnings out. No database."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from django.utils import translation

from hotline.core.backoff import backoff
from hotline.referrals import delivery_states
from hotline.referrals.rules import (
    DEFAULT_RULES,
    HOST_NOTICE,
    PARTNER_HOTLINE,
    POLICE,
    RuleFacts,
    RulesFileError,
    apply_policy,
    configured_rules,
    plan_referrals,
    rules_from_data,
    rules_to_data,
)


@pytest.fixture(autouse=True)
def _english() -> object:
    with translation.override("en"):
        yield


BASE = RuleFacts(verdict="csam_baseline", kind="online_material", home_country="SE", abuse_contact_present=True)
NL_PARTNER = {"partner_available": True, "partner_id": 7, "partner_name": "Demo hotline NL"}

# (name, facts changes, expected targets in order, expected rule keys)
CASES = [
    ("illegal at home", {"hosting_country": "SE"}, (POLICE, HOST_NOTICE), ("illegal_hosted_home",)),
    ("national law at home", {"verdict": "csam_national", "hosting_country": "SE"}, (POLICE, HOST_NOTICE),
     ("illegal_hosted_home",)),
    ("server nexus, not traced", {"nexus_server": True}, (POLICE, HOST_NOTICE), ("illegal_hosted_home",)),
    ("partner country", {"hosting_country": "NL", **NL_PARTNER}, (PARTNER_HOTLINE,),
     ("illegal_hosted_partner_country",)),
    ("no partner there", {"hosting_country": "BR"}, (HOST_NOTICE, POLICE), ("illegal_hosted_no_partner",)),
    ("partner + victim at home", {"hosting_country": "NL", "nexus_victim": True, **NL_PARTNER},
     (PARTNER_HOTLINE, POLICE), ("illegal_hosted_partner_country", "national_nexus_to_police")),
    ("offender at home, abroad no partner", {"hosting_country": "US", "nexus_offender": True}, (HOST_NOTICE, POLICE),
     ("illegal_hosted_no_partner", "national_nexus_to_police")),
    ("hosting unknown", {}, (POLICE,), ("illegal_hosting_unknown",)),
    ("grooming", {"verdict": "not_csam", "kind": "grooming", "has_url": False}, (POLICE,), ("situation_to_police",)),
    ("trafficking", {"verdict": "not_csam", "kind": "trafficking", "has_url": False}, (POLICE,),
     ("situation_to_police",)),
    ("travelling offender", {"verdict": "not_csam", "kind": "travelling_offender", "has_url": False}, (POLICE,),
     ("situation_to_police",)),
    ("harmful, not illegal", {"verdict": "harmful_not_illegal", "hosting_country": "NL", **NL_PARTNER}, (),
     ("not_illegal",)),
    ("not csam", {"verdict": "not_csam", "hosting_country": "SE"}, (), ("not_illegal",)),
    ("duplicate", {"verdict": "duplicate", "hosting_country": "SE"}, (), ("duplicate",)),
    ("unreachable", {"verdict": "unreachable", "hosting_country": "SE"}, (), ("unreachable",)),
    ("not illegal, victim at home", {"verdict": "not_csam", "nexus_victim": True}, (), ("not_illegal",)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "changes", "targets", "rules"), CASES, ids=[c[0] for c in CASES])
def test_rules_table(name: str, changes: dict, targets: tuple, rules: tuple) -> None:
    plan = plan_referrals(replace(BASE, **changes))
    assert plan.targets == targets
    assert plan.matched_rules == rules
    assert all(p.reason for p in plan.proposals)
    if not targets:
        assert plan.is_none and plan.no_referral_reason


def test_partner_proposal_names_the_partner_and_keys_by_id() -> None:
    plan = plan_referrals(replace(BASE, hosting_country="NL", **NL_PARTNER))
    (proposal,) = plan.proposals
    assert proposal.key == "partner_hotline:7"
    assert "Demo hotline NL" in proposal.reason and "NL" in proposal.reason


def test_home_notice_waits_for_police_clearance_by_default_and_not_with_notice_at_once() -> None:
    facts = replace(BASE, hosting_country="SE")
    notice = next(p for p in plan_referrals(facts).proposals if p.target == HOST_NOTICE)
    assert notice.after_police_clearance is True
    at_once = apply_policy(DEFAULT_RULES, "notice_at_once")
    notice = next(p for p in plan_referrals(facts, at_once).proposals if p.target == HOST_NOTICE)
    assert notice.after_police_clearance is False
    # Abroad the notice never waits for our police.
    abroad = next(p for p in plan_referrals(replace(BASE, hosting_country="BR")).proposals if p.target == HOST_NOTICE)
    assert abroad.after_police_clearance is False


def test_no_abuse_contact_drops_the_notice_warns_and_proposes_police() -> None:
    plan = plan_referrals(replace(BASE, hosting_country="BR", abuse_contact_present=False))
    assert plan.targets == (POLICE,)
    assert any("registrar" in w and "CDN" in w for w in plan.warnings)


def test_no_abuse_contact_at_home_keeps_police_once() -> None:
    plan = plan_referrals(replace(BASE, hosting_country="SE", abuse_contact_present=False))
    assert plan.targets == (POLICE,)
    assert len(plan.warnings) == 1


def test_origin_hidden_sends_the_notice_to_the_cdn_and_warns_about_the_country() -> None:
    plan = plan_referrals(replace(BASE, hosting_country="US", origin_hidden=True, cdn_name="Example CDN"))
    notice = next(p for p in plan.proposals if p.target == HOST_NOTICE)
    assert "Example CDN" in notice.reason
    assert any("Example CDN" in w for w in plan.warnings)


def test_situation_without_url_never_gets_a_notice() -> None:
    plan = plan_referrals(replace(BASE, kind="grooming", hosting_country="SE", has_url=False))
    assert plan.targets == (POLICE,)


def test_reasons_merge_when_two_rules_propose_the_same_target() -> None:
    plan = plan_referrals(replace(BASE, hosting_country="SE", nexus_victim=True))
    police = next(p for p in plan.proposals if p.target == POLICE)
    assert "hosted in SE" in police.reason and "National nexus" in police.reason


def test_reasons_are_translated() -> None:
    with translation.override("sv"):
        sv = plan_referrals(replace(BASE, hosting_country="BR")).proposals[0].reason
    with translation.override("en"):
        en = plan_referrals(replace(BASE, hosting_country="BR")).proposals[0].reason
    assert sv != en and "BR" in sv


def test_rules_round_trip_through_json_and_a_custom_file(tmp_path) -> None:
    data = rules_to_data(DEFAULT_RULES)
    assert rules_from_data(json.loads(json.dumps(data))) == DEFAULT_RULES
    # A stricter hotline: everything illegal also goes to the police.
    custom = [*data, {"key": "all_to_police", "illegal": True, "targets": ["police"], "reason": "Policy: police."}]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(custom))
    rules = configured_rules(policy="police_first", rules_file=str(path))
    plan = plan_referrals(replace(BASE, hosting_country="NL", **NL_PARTNER), rules)
    assert plan.targets == (PARTNER_HOTLINE, POLICE)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [{"key": "x", "targets": ["fax"], "reason": "r"}],
        [{"key": "x", "targets": ["police"], "reason": "r", "hosting": "moon"}],
        [{"key": "x", "targets": ["police"], "reason": "r", "colour": "red"}],
        [{"targets": ["police"], "reason": "r"}],
        ["not an object"],
    ],
)
def test_bad_rules_files_are_refused(bad: list) -> None:
    with pytest.raises(RulesFileError):
        rules_from_data(bad)


def test_unreadable_rules_file_is_refused(tmp_path) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{not json")
    with pytest.raises(RulesFileError):
        configured_rules(policy="police_first", rules_file=str(path))


# --- delivery state machine -------------------------------------------------------------------

TRANSITIONS = [
    ("planned", "sent", True),
    ("planned", "failed", True),
    ("planned", "acknowledged", False),
    ("sent", "delivered", True),
    ("failed", "sent", True),
    ("failed", "acknowledged", True),
    ("acknowledged", "failed", True),
    ("acknowledged", "sent", False),
    ("content_removed", "sent", False),
    ("content_removed", "failed", False),
    ("not_removed", "content_removed", False),
    ("delivered", "content_removed", True),
]


@pytest.mark.parametrize(("a", "b", "allowed"), TRANSITIONS)
def test_state_machine(a: str, b: str, allowed: bool) -> None:
    assert delivery_states.can_move(a, b) is allowed


def test_retry_backoff_doubles_and_is_capped() -> None:
    from datetime import timedelta

    base, cap = timedelta(minutes=5), timedelta(hours=1)
    delays = [backoff(n, base=base, cap=cap) for n in range(1, 7)]
    assert delays[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert delays[4:] == [cap, cap]
    assert backoff(500, base=base, cap=cap) == cap
    assert delivery_states.should_retry(failures=7, max_failures=8) and not delivery_states.should_retry(
        failures=8, max_failures=8
    )


def test_success_after_failure_returns_to_the_furthest_state() -> None:
    assert delivery_states.state_after_success(delivered=False, acknowledged=False) == "sent"
    assert delivery_states.state_after_success(delivered=True, acknowledged=False) == "delivered"
    assert delivery_states.state_after_success(delivered=True, acknowledged=True) == "acknowledged"
