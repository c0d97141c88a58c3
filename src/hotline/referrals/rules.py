"""Referral rules as data, and the pure function that turns case facts into a referral plan.

The rules are an ordered list of records (docs/referrals.md "Referral rules"). Every rule whose
conditions hold adds its targets; a `final` rule stops the walk; a `fallback` rule applies only
when nothing else proposed a target. Policy (HOTLINE_REFERRAL_POLICY) and a JSON rules file
(HOTLINE_REFERRAL_RULES_FILE) change the data, never this code. No database access here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.utils.translation import gettext, gettext_noop

# Targets of a referral.
POLICE = "police"
PARTNER_HOTLINE = "partner_hotline"
HOST_NOTICE = "host_notice"
NONE = "none"
TARGETS = (POLICE, PARTNER_HOTLINE, HOST_NOTICE, NONE)

# Where the material is hosted, seen from the home country.
HOSTED_HOME = "home"
HOSTED_PARTNER = "partner"  # abroad, in a country where a partner hotline works
HOSTED_NO_PARTNER = "no_partner"  # abroad, no partner hotline there
HOSTED_UNKNOWN = "unknown"  # not located (yet)
HOSTED_ABROAD = "abroad"  # condition only: partner or no_partner
HOSTED_ANY = "any"  # condition only
HOSTING_CONDITIONS = (HOSTED_HOME, HOSTED_PARTNER, HOSTED_NO_PARTNER, HOSTED_UNKNOWN, HOSTED_ABROAD, HOSTED_ANY)

ILLEGAL_VERDICTS = frozenset({"csam_baseline", "csam_national"})
SITUATION_KINDS = frozenset({"trafficking", "grooming", "travelling_offender"})


@dataclass(frozen=True)
class RuleFacts:
    """What the rules look at: the confirmed assessment and the latest hosting facts."""

    verdict: str
    kind: str
    nexus_server: bool = False
    nexus_victim: bool = False
    nexus_offender: bool = False
    home_country: str = "SE"
    hosting_country: str = ""  # ISO 3166-1 alpha-2, "" when not located
    partner_available: bool = False  # a partner hotline works in hosting_country
    partner_id: int | None = None
    partner_name: str = ""
    abuse_contact_present: bool = False
    origin_hidden: bool = False
    cdn_name: str = ""
    has_url: bool = True  # situation reports (no URL) cannot get a notice to a host

    @property
    def illegal(self) -> bool:
        return self.verdict in ILLEGAL_VERDICTS

    @property
    def national_nexus(self) -> bool:
        """Victim or offender at home (a server at home is a hosting fact, see `hosted`)."""
        return self.nexus_victim or self.nexus_offender

    @property
    def hosted(self) -> str:
        country = (self.hosting_country or "").upper()
        if not country:
            return HOSTED_HOME if self.nexus_server else HOSTED_UNKNOWN
        if country == self.home_country.upper():
            return HOSTED_HOME
        return HOSTED_PARTNER if self.partner_available else HOSTED_NO_PARTNER


@dataclass(frozen=True)
class Rule:
    """One rule record. A condition left at None (or HOSTED_ANY) matches everything."""

    key: str
    targets: tuple[str, ...]
    reason: str  # msgid; formatted with home, country, partner, cdn
    illegal: bool | None = None
    hosting: str = HOSTED_ANY
    kinds: frozenset[str] | None = None
    verdicts: frozenset[str] | None = None
    national_nexus: bool | None = None
    notice_after_police_clearance: bool = False
    final: bool = False
    fallback: bool = False

    def matches(self, facts: RuleFacts) -> bool:
        if self.illegal is not None and facts.illegal != self.illegal:
            return False
        if self.verdicts is not None and facts.verdict not in self.verdicts:
            return False
        if self.kinds is not None and facts.kind not in self.kinds:
            return False
        if self.national_nexus is not None and facts.national_nexus != self.national_nexus:
            return False
        hosted = facts.hosted
        if self.hosting == HOSTED_ANY:
            return True
        if self.hosting == HOSTED_ABROAD:
            return hosted in {HOSTED_PARTNER, HOSTED_NO_PARTNER}
        return hosted == self.hosting


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        key="duplicate",
        verdicts=frozenset({"duplicate"}),
        targets=(NONE,),
        reason=gettext_noop("Duplicate of another case: no referral; close the case as a duplicate."),
        final=True,
    ),
    Rule(
        key="unreachable",
        verdicts=frozenset({"unreachable"}),
        kinds=frozenset({"online_material", "other"}),
        targets=(NONE,),
        reason=gettext_noop("The material was gone before assessment: no referral; close the case as unreachable."),
        final=True,
    ),
    Rule(
        key="situation_to_police",
        kinds=SITUATION_KINDS,
        targets=(POLICE,),
        reason=gettext_noop("Trafficking, grooming or a travelling offender: referral to the police."),
    ),
    Rule(
        key="illegal_hosted_home",
        illegal=True,
        hosting=HOSTED_HOME,
        targets=(POLICE, HOST_NOTICE),
        reason=gettext_noop("Illegal and hosted in %(home)s: referral to the police, and a notice to the host."),
        notice_after_police_clearance=True,
    ),
    Rule(
        key="illegal_hosted_partner_country",
        illegal=True,
        hosting=HOSTED_PARTNER,
        targets=(PARTNER_HOTLINE,),
        reason=gettext_noop("Illegal and hosted in %(country)s, where %(partner)s works: forward to that hotline."),
    ),
    Rule(
        key="illegal_hosted_no_partner",
        illegal=True,
        hosting=HOSTED_NO_PARTNER,
        targets=(HOST_NOTICE, POLICE),
        reason=gettext_noop(
            "Illegal and hosted in %(country)s, where no partner hotline works: "
            "a notice to the host's abuse contact, and a referral to the police."
        ),
    ),
    Rule(
        key="illegal_hosting_unknown",
        illegal=True,
        hosting=HOSTED_UNKNOWN,
        targets=(POLICE,),
        reason=gettext_noop("Illegal, and where it is hosted is not known yet: referral to the police."),
    ),
    Rule(
        key="national_nexus_to_police",
        illegal=True,
        national_nexus=True,
        targets=(POLICE,),
        reason=gettext_noop("National nexus (victim or offender in %(home)s): referral to the police."),
    ),
    Rule(
        key="not_illegal",
        illegal=False,
        targets=(NONE,),
        reason=gettext_noop("Not illegal: no referral; close the case with a reason."),
        fallback=True,
    ),
)


@dataclass(frozen=True)
class ProposedReferral:
    target: str
    reason: str  # translated, for people
    rule: str
    partner_id: int | None = None
    partner_name: str = ""
    after_police_clearance: bool = False

    @property
    def key(self) -> str:
        """Stable key of a target within a case ("police", "host_notice", "partner_hotline:3")."""
        if self.target == PARTNER_HOTLINE:
            return f"{PARTNER_HOTLINE}:{self.partner_id}"
        return self.target


@dataclass(frozen=True)
class ReferralPlan:
    proposals: tuple[ProposedReferral, ...]
    warnings: tuple[str, ...] = ()
    matched_rules: tuple[str, ...] = ()
    no_referral_reason: str = ""  # set when the plan is "none"

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(p.target for p in self.proposals)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(p.key for p in self.proposals)

    @property
    def is_none(self) -> bool:
        return not self.proposals


@dataclass
class _Draft:
    proposals: list[ProposedReferral] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def has(self, target: str) -> bool:
        return any(p.target == target for p in self.proposals)

    def add(self, proposal: ProposedReferral) -> None:
        """Add a target once; a second rule proposing it adds its reason to the first."""
        for index, existing in enumerate(self.proposals):
            if existing.target == proposal.target:
                if proposal.reason not in existing.reason:
                    self.proposals[index] = replace(existing, reason=f"{existing.reason} {proposal.reason}")
                return
        self.proposals.append(proposal)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


def plan_referrals(facts: RuleFacts, rules: Sequence[Rule] | None = None) -> ReferralPlan:
    """Decide who should receive the case, with a reason for each target and warnings for people."""
    rules = DEFAULT_RULES if rules is None else rules
    params = {
        "home": facts.home_country,
        "country": facts.hosting_country or "?",
        "partner": facts.partner_name or gettext("a partner hotline"),
        "cdn": facts.cdn_name or gettext("a CDN"),
    }
    draft = _Draft()
    matched: list[str] = []
    no_referral_reason = ""
    for rule in rules:
        if rule.fallback and draft.proposals:
            continue
        if not rule.matches(facts):
            continue
        matched.append(rule.key)
        reason = _format(rule.reason, params)
        for target in rule.targets:
            if target == NONE:
                no_referral_reason = no_referral_reason or reason
                continue
            draft.add(
                ProposedReferral(
                    target=target,
                    reason=reason,
                    rule=rule.key,
                    partner_id=facts.partner_id if target == PARTNER_HOTLINE else None,
                    partner_name=facts.partner_name if target == PARTNER_HOTLINE else "",
                    after_police_clearance=(
                        target == HOST_NOTICE and rule.notice_after_police_clearance and POLICE in rule.targets
                    ),
                )
            )
        if rule.final:
            break
    _check_host_notice(facts, draft, params)
    if draft.has(PARTNER_HOTLINE) and facts.partner_id is None:
        draft.proposals = [p for p in draft.proposals if p.target != PARTNER_HOTLINE]
        draft.warn(gettext("No partner hotline is registered for %(country)s.") % params)
    if facts.hosted == HOSTED_UNKNOWN and facts.has_url and (facts.illegal or draft.proposals):
        draft.warn(gettext("Where the material is hosted is not known yet: run the hosting trace again."))
    if not draft.proposals and not no_referral_reason:
        no_referral_reason = gettext("No rule proposes a referral for this assessment.")
    return ReferralPlan(
        proposals=tuple(draft.proposals),
        warnings=tuple(draft.warnings),
        matched_rules=tuple(matched),
        no_referral_reason="" if draft.proposals else no_referral_reason,
    )


def _check_host_notice(facts: RuleFacts, draft: _Draft, params: dict[str, str]) -> None:
    """A notice needs a URL and an abuse contact; behind a CDN it goes to the CDN."""
    if not draft.has(HOST_NOTICE):
        return
    if not facts.has_url:
        draft.proposals = [p for p in draft.proposals if p.target != HOST_NOTICE]
        return
    if not facts.abuse_contact_present:
        draft.proposals = [p for p in draft.proposals if p.target != HOST_NOTICE]
        draft.warn(
            gettext(
                "No abuse contact was found for the host: send the notice to the domain's registrar or the CDN "
                "(add it below with their address), or rely on the police referral."
            )
        )
        if not draft.has(POLICE):
            draft.add(
                ProposedReferral(
                    target=POLICE,
                    reason=gettext("No abuse contact for the host: referral to the police instead of a notice."),
                    rule="no_abuse_contact",
                )
            )
        return
    if facts.origin_hidden:
        draft.proposals = [
            replace(
                p,
                reason=p.reason
                + " "
                + gettext("The site is behind %(cdn)s: the notice goes to the CDN's abuse contact.") % params,
            )
            if p.target == HOST_NOTICE
            else p
            for p in draft.proposals
        ]
        draft.warn(
            gettext(
                "The origin server is hidden behind %(cdn)s: the hosting country is the CDN's, not necessarily "
                "the real host's."
            )
            % params
        )


def _format(msgid: str, params: dict[str, str]) -> str:
    text = gettext(msgid)
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return text


# --- policy and rules as configuration ------------------------------------------------------


def apply_policy(rules: Iterable[Rule], policy: str) -> tuple[Rule, ...]:
    """`notice_at_once` sends a notice to a host at home together with the police referral."""
    if policy == "notice_at_once":
        return tuple(replace(r, notice_after_police_clearance=False) for r in rules)
    return tuple(rules)


class RulesFileError(ValueError):
    """The configured rules file cannot be used; the message says why."""


_RULE_FIELDS = {
    "key",
    "targets",
    "reason",
    "illegal",
    "hosting",
    "kinds",
    "verdicts",
    "national_nexus",
    "notice_after_police_clearance",
    "final",
    "fallback",
}


def rules_from_data(data: Any) -> tuple[Rule, ...]:
    """Build rules from a JSON-shaped list of objects (same field names as `Rule`)."""
    if not isinstance(data, list) or not data:
        raise RulesFileError("The rules file must hold a non-empty JSON list of rule objects.")
    rules = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise RulesFileError(f"Rule {index} is not an object.")
        unknown = set(item) - _RULE_FIELDS
        if unknown:
            raise RulesFileError(f"Rule {index} has unknown fields: {sorted(unknown)}.")
        targets = tuple(item.get("targets") or ())
        if not targets or any(t not in TARGETS for t in targets):
            raise RulesFileError(f"Rule {index} needs targets among {list(TARGETS)}.")
        hosting = item.get("hosting", HOSTED_ANY)
        if hosting not in HOSTING_CONDITIONS:
            raise RulesFileError(f"Rule {index} has an unknown hosting condition {hosting!r}.")
        if not item.get("key") or not item.get("reason"):
            raise RulesFileError(f"Rule {index} needs a key and a reason.")
        rules.append(
            Rule(
                key=str(item["key"]),
                targets=targets,
                reason=str(item["reason"]),
                illegal=item.get("illegal"),
                hosting=hosting,
                kinds=frozenset(item["kinds"]) if item.get("kinds") is not None else None,
                verdicts=frozenset(item["verdicts"]) if item.get("verdicts") is not None else None,
                national_nexus=item.get("national_nexus"),
                notice_after_police_clearance=bool(item.get("notice_after_police_clearance", False)),
                final=bool(item.get("final", False)),
                fallback=bool(item.get("fallback", False)),
            )
        )
    return tuple(rules)


def rules_to_data(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """The inverse of rules_from_data (to start a custom rules file from the defaults)."""
    out = []
    for r in rules:
        item: dict[str, Any] = {"key": r.key, "targets": list(r.targets), "reason": r.reason}
        if r.illegal is not None:
            item["illegal"] = r.illegal
        if r.hosting != HOSTED_ANY:
            item["hosting"] = r.hosting
        if r.kinds is not None:
            item["kinds"] = sorted(r.kinds)
        if r.verdicts is not None:
            item["verdicts"] = sorted(r.verdicts)
        if r.national_nexus is not None:
            item["national_nexus"] = r.national_nexus
        for flag in ("notice_after_police_clearance", "final", "fallback"):
            if getattr(r, flag):
                item[flag] = True
        out.append(item)
    return out


def configured_rules(*, policy: str, rules_file: str = "") -> tuple[Rule, ...]:
    """The rules in force: the defaults or the rules file, with the policy applied."""
    rules = DEFAULT_RULES
    if rules_file:
        try:
            data = json.loads(Path(rules_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RulesFileError(f"Cannot read the referral rules file: {exc}") from exc
        rules = rules_from_data(data)
    return apply_policy(rules, policy)
