"""Case priority (docs/priority.md): the orderings that matter, as tables, plus the bounds."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.cases import priority as levels
from hotline.cases.priority import (
    KIND_POINTS,
    PRIORITY_MAX,
    ROUTINE_MAX,
    PrioritySignals,
    case_priority,
    priority_points,
)

PLAIN: dict[str, Any] = {
    "kind": "online_material",
    "nexus_victim": "unknown",
    "nexus_offender": "unknown",
    "nexus_place": "unknown",
    "from_partner_hotline": False,
    "independent_reporters": 1,
    "distinct_channels": 1,
    "hours_in_queue": 0.0,
}


def signals(**changes: Any) -> PrioritySignals:
    return PrioritySignals(**{**PLAIN, **changes})


# The most a case can collect from routine signals alone: two days old, many reporters, many channels.
ROUTINE_FULL: dict[str, Any] = {"hours_in_queue": 24 * 30, "independent_reporters": 50, "distinct_channels": 6}

# (higher, lower, why): the first must come before the second in the queue.
ORDERINGS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    # nexus > partner forward > many reporters > age
    (
        {"nexus_victim": "yes"},
        {"from_partner_hotline": True, **ROUTINE_FULL},
        "victim nexus beats every routine signal",
    ),
    ({"nexus_offender": "yes"}, {"from_partner_hotline": True, **ROUTINE_FULL}, "offender nexus beats routine"),
    ({"nexus_place": "yes"}, {"from_partner_hotline": True, **ROUTINE_FULL}, "place nexus beats routine"),
    ({"from_partner_hotline": True}, ROUTINE_FULL, "a partner forward beats many reporters on an old case"),
    ({"independent_reporters": 5}, {"hours_in_queue": 24 * 30}, "many reporters beat age"),
    (
        {"independent_reporters": 5, "distinct_channels": 3},
        {"independent_reporters": 4},
        "more reporters, more channels",
    ),
    ({"independent_reporters": 2}, {}, "a second reporter counts"),
    ({"distinct_channels": 2}, {}, "a second channel counts"),
    ({"hours_in_queue": 10}, {"hours_in_queue": 2}, "older first"),
    # within nexus
    ({"nexus_victim": "yes"}, {"nexus_offender": "yes"}, "a child here comes before an offender here"),
    ({"nexus_offender": "yes"}, {"nexus_place": "yes"}, "an offender here comes before a place here"),
    ({"nexus_victim": "yes", "nexus_place": "yes"}, {"nexus_victim": "yes"}, "two nexus hints beat one"),
    ({"nexus_place": "yes"}, {"nexus_place": "unknown"}, "yes counts"),
    # hash and known-URL matches are high
    ({"hash_list_match": True}, {"from_partner_hotline": True, **ROUTINE_FULL}, "hash match beats routine"),
    ({"known_url_match": True}, {"from_partner_hotline": True, **ROUTINE_FULL}, "known URL beats routine"),
    ({"hash_list_match": True}, {"known_url_match": True}, "a hash match is surer than a known URL"),
    ({"hash_list_match": True, "nexus_place": "yes"}, {"hash_list_match": True}, "urgent signals add up"),
    # children at risk now
    ({"kind": "trafficking"}, {"from_partner_hotline": True, **ROUTINE_FULL}, "trafficking beats routine"),
    ({"kind": "travelling_offender"}, {"from_partner_hotline": True, **ROUTINE_FULL}, "travelling offender too"),
    ({"kind": "sextortion"}, {"from_partner_hotline": True, **ROUTINE_FULL}, "sextortion too"),
    ({"kind": "grooming"}, {"from_partner_hotline": True, **ROUTINE_FULL}, "grooming too"),
    ({"kind": "trafficking"}, {"kind": "grooming"}, "trafficking before grooming"),
    ({"kind": "trafficking"}, {"nexus_place": "yes"}, "trafficking before a place nexus alone"),
    ({"reporter_says_live": True}, {"nexus_victim": "yes"}, "abuse happening now comes first of all"),
    ({"reporter_says_live": True}, {"from_partner_hotline": True, **ROUTINE_FULL}, "live beats routine"),
    ({"kind": "online_material", "independent_reporters": 2}, {"kind": "other"}, "other kinds get no bonus"),
]


@pytest.mark.parametrize(("higher", "lower", "why"), ORDERINGS, ids=[o[2] for o in ORDERINGS])
def test_ordering(higher: dict[str, Any], lower: dict[str, Any], why: str) -> None:
    assert case_priority(signals(**higher)) > case_priority(signals(**lower)), why


EQUALS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"hours_in_queue": 48}, {"hours_in_queue": 24 * 365}, "age stops counting after two days"),
    ({"independent_reporters": 5}, {"independent_reporters": 500}, "reporters stop counting at five"),
    ({"distinct_channels": 3}, {"distinct_channels": 6}, "channels stop counting at three"),
    ({"hours_in_queue": -5}, {"hours_in_queue": 0}, "a clock skew never lowers a case"),
    ({"independent_reporters": 0}, {"independent_reporters": 1}, "no reporter is one reporter"),
    ({"nexus_victim": "no"}, {"nexus_victim": "unknown"}, "no and unknown weigh the same"),
    ({"kind": "unheard_of"}, {"kind": "other"}, "an unknown kind weighs nothing"),
]


@pytest.mark.parametrize(("a", "b", "why"), EQUALS, ids=[e[2] for e in EQUALS])
def test_equal(a: dict[str, Any], b: dict[str, Any], why: str) -> None:
    assert case_priority(signals(**a)) == case_priority(signals(**b)), why


def test_exact_figures_of_a_few_cases() -> None:
    assert case_priority(signals()) == 0
    assert case_priority(signals(hours_in_queue=5.9)) == 5
    assert case_priority(signals(independent_reporters=3, distinct_channels=2, hours_in_queue=5)) == 5 + 30 + 10
    assert case_priority(signals(from_partner_hotline=True)) == 150
    assert case_priority(signals(nexus_victim="yes", nexus_offender="yes", nexus_place="yes")) == 380 + 40 + 40
    assert case_priority(signals(kind="trafficking", nexus_victim="yes")) == 360 + 380
    assert dict(priority_points(signals(hash_list_match=True, hours_in_queue=3))) == {"hash_list_match": 350, "age": 3}


def test_routine_maximum_is_below_every_urgent_signal() -> None:
    assert case_priority(signals(from_partner_hotline=True, **ROUTINE_FULL)) == ROUTINE_MAX
    urgent = [
        signals(nexus_victim="yes"),
        signals(nexus_offender="yes"),
        signals(nexus_place="yes"),
        signals(hash_list_match=True),
        signals(known_url_match=True),
        signals(reporter_says_live=True),
    ] + [signals(kind=k) for k, v in KIND_POINTS.items() if v]
    assert min(case_priority(s) for s in urgent) > ROUTINE_MAX


def test_capped_at_the_maximum() -> None:
    everything = signals(
        kind="trafficking",
        nexus_victim="yes",
        nexus_offender="yes",
        nexus_place="yes",
        from_partner_hotline=True,
        independent_reporters=9,
        distinct_channels=4,
        hash_list_match=True,
        known_url_match=True,
        hours_in_queue=100,
        reporter_says_live=True,
    )
    assert case_priority(everything) == PRIORITY_MAX


def test_signals_are_keyword_only_frozen_and_checked() -> None:
    with pytest.raises(TypeError):
        PrioritySignals("online_material", "yes", "no", "no", False, 1, 1, 0.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        PrioritySignals(kind="online_material")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="nexus_victim"):
        signals(nexus_victim="maybe")
    with pytest.raises(dataclasses.FrozenInstanceError):
        signals().kind = "trafficking"  # type: ignore[misc]


def test_accepts_the_model_choices() -> None:
    from hotline.cases.models import NexusHint, ReportKind

    s = signals(kind=ReportKind.TRAVELLING_OFFENDER, nexus_offender=NexusHint.YES)
    assert case_priority(s) == 360 + 340
    assert set(KIND_POINTS) == set(ReportKind.values)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from([*KIND_POINTS, "other"]),
    nexus=st.tuples(*[st.sampled_from(["yes", "no", "unknown"])] * 3),
    partner=st.booleans(),
    reporters=st.integers(-3, 10_000),
    channels=st.integers(-3, 20),
    hash_match=st.booleans(),
    known=st.booleans(),
    hours=st.floats(-1e6, 1e9, allow_nan=False),
    live=st.booleans(),
)
def test_bounded_and_monotonic(kind, nexus, partner, reporters, channels, hash_match, known, hours, live) -> None:
    s = PrioritySignals(
        kind=kind,
        nexus_victim=nexus[0],
        nexus_offender=nexus[1],
        nexus_place=nexus[2],
        from_partner_hotline=partner,
        independent_reporters=reporters,
        distinct_channels=channels,
        hash_list_match=hash_match,
        known_url_match=known,
        hours_in_queue=hours,
        reporter_says_live=live,
    )
    p = case_priority(s)
    assert 0 <= p <= PRIORITY_MAX
    # More of any signal never lowers a case.
    for more in (
        {"independent_reporters": reporters + 1},
        {"distinct_channels": channels + 1},
        {"hours_in_queue": hours + 1},
        {"from_partner_hotline": True},
        {"hash_list_match": True},
        {"known_url_match": True},
        {"reporter_says_live": True},
        {"nexus_victim": "yes"},
        {"nexus_offender": "yes"},
        {"nexus_place": "yes"},
    ):
        assert case_priority(dataclasses.replace(s, **more)) >= p


# --- named levels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "kind", "home", "level"),
    [
        (660, "trafficking", True, levels.IMMEDIATE_DANGER),
        (360, "travelling_offender", True, levels.IMMEDIATE_DANGER),
        (360, "trafficking", False, levels.HIGH),  # no hint of our country: urgent, not "in danger here"
        (380, "online_material", True, levels.HIGH),
        (levels.HIGH_FROM, "other", False, levels.HIGH),
        (levels.HIGH_FROM - 1, "other", False, levels.NORMAL),
        (levels.NORMAL_FROM, "online_material", False, levels.NORMAL),
        (levels.NORMAL_FROM - 1, "online_material", False, levels.LOW),
        (0, "grooming", True, levels.LOW),
    ],
)
def test_named_levels(score: int, kind: str, home: bool, level: str) -> None:
    assert levels.priority_level(priority=score, kind=kind, home_country_hint=home) == level


def test_each_level_has_a_deadline_and_higher_levels_come_sooner() -> None:
    hours = [levels.RESPONSE_HOURS[level] for level in levels.LEVELS]
    assert hours == sorted(hours) and hours[0] == 1
    assert min(levels.KIND_POINTS[k] for k in levels.DANGER_KINDS) >= levels.HIGH_FROM
    assert levels.HIGH_FROM > levels.ROUTINE_MAX  # only an urgent signal makes a case high
