"""Queue priority of a case (0-1000, higher first): a plain function of what is known about it.

The weights and the reasoning behind them are in docs/priority.md; keep the two in step.

Two tiers. *Routine* signals (age in the queue, several reporters or channels, a forward from
a partner hotline) add up to at most ROUTINE_MAX. Each *urgent* signal (national nexus, a hash-
or known-URL-list match, abuse said to be happening now, a child-at-risk kind of report) is worth
more than ROUTINE_MAX on its own, so one urgent signal always outranks any mix of routine ones.
Within the routine tier: partner forward > many reporters > age. The sum is capped at 1000.
The queue breaks ties by age (oldest first), so equal scores still come out fairly.
"""

from __future__ import annotations

from dataclasses import dataclass

PRIORITY_MAX = 1000
NEXUS_VALUES = frozenset({"yes", "no", "unknown"})

# --- routine tier ---------------------------------------------------------------------------
AGE_POINTS_PER_HOUR = 1.0
AGE_MAX = 48  # reached after two days; after that the queue's oldest-first order takes over
REPORTER_POINTS = 15  # per independent reporter beyond the first
REPORTERS_COUNTED = 4  # ... up to four more (five reporters: "many")
CHANNEL_POINTS = 10  # per channel beyond the first (web + partner API + staff: independent routes)
CHANNELS_COUNTED = 2
PARTNER_FORWARD = 150  # already assessed by a partner hotline (INHOPE network)
ROUTINE_MAX = AGE_MAX + REPORTER_POINTS * REPORTERS_COUNTED + CHANNEL_POINTS * CHANNELS_COUNTED + PARTNER_FORWARD

# --- urgent tier (each alone > ROUTINE_MAX) -------------------------------------------------
REPORTER_SAYS_LIVE = 400  # abuse said to be happening now (live stream, ongoing contact)
NEXUS_VICTIM = 380  # a child in this country: victim identification comes first
NEXUS_OFFENDER = 340  # an offender in this country: police can act
NEXUS_PLACE = 300  # it happened, or is hosted, here
NEXUS_EXTRA = 40  # per further "yes" beyond the strongest one
HASH_LIST_MATCH = 350  # known material: certain, and quick to act on
KNOWN_URL_MATCH = 300  # on a known-URL list (e.g. a partner's or our own earlier verdict)
KIND_POINTS: dict[str, int] = {
    "trafficking": 360,
    "travelling_offender": 360,
    "sextortion": 330,
    "grooming": 300,
    "online_material": 0,
    "other": 0,
}


@dataclass(frozen=True, kw_only=True)
class PrioritySignals:
    """What triage knows about a case (keyword arguments only). Nexus hints are the reporters'
    "yes"/"no"/"unknown" ("yes" if any report of the case says yes); counts are over the case's
    reports; hours_in_queue since the case was created (or reopened)."""

    kind: str
    nexus_victim: str
    nexus_offender: str
    nexus_place: str
    from_partner_hotline: bool
    independent_reporters: int
    distinct_channels: int
    hash_list_match: bool = False
    known_url_match: bool = False
    hours_in_queue: float
    reporter_says_live: bool = False

    def __post_init__(self) -> None:
        for name in ("nexus_victim", "nexus_offender", "nexus_place"):
            if getattr(self, name) not in NEXUS_VALUES:
                raise ValueError(f"{name} must be one of {sorted(NEXUS_VALUES)}, not {getattr(self, name)!r}")


def priority_points(signals: PrioritySignals) -> list[tuple[str, int]]:
    """Each signal that counted and its points (for showing "why this priority" on a case)."""
    points: list[tuple[str, int]] = []
    # Routine tier.
    hours = max(0.0, float(signals.hours_in_queue))
    age = min(AGE_MAX, int(hours * AGE_POINTS_PER_HOUR))
    if age:
        points.append(("age", age))
    extra_reporters = min(REPORTERS_COUNTED, max(0, signals.independent_reporters - 1))
    if extra_reporters:
        points.append(("reporters", extra_reporters * REPORTER_POINTS))
    extra_channels = min(CHANNELS_COUNTED, max(0, signals.distinct_channels - 1))
    if extra_channels:
        points.append(("channels", extra_channels * CHANNEL_POINTS))
    if signals.from_partner_hotline:
        points.append(("partner_forward", PARTNER_FORWARD))
    # Urgent tier.
    nexus = sorted(
        (
            weight
            for value, weight in (
                (signals.nexus_victim, NEXUS_VICTIM),
                (signals.nexus_offender, NEXUS_OFFENDER),
                (signals.nexus_place, NEXUS_PLACE),
            )
            if value == "yes"
        ),
        reverse=True,
    )
    if nexus:
        points.append(("nexus", nexus[0] + NEXUS_EXTRA * (len(nexus) - 1)))
    kind = KIND_POINTS.get(str(signals.kind), 0)
    if kind:
        points.append(("kind", kind))
    if signals.hash_list_match:
        points.append(("hash_list_match", HASH_LIST_MATCH))
    if signals.known_url_match:
        points.append(("known_url_match", KNOWN_URL_MATCH))
    if signals.reporter_says_live:
        points.append(("reporter_says_live", REPORTER_SAYS_LIVE))
    return points


def case_priority(signals: PrioritySignals) -> int:
    """The queue priority, 0-1000 (higher first). See the module docstring and docs/priority.md."""
    return min(PRIORITY_MAX, sum(p for _, p in priority_points(signals)))


# --- named levels (docs/priority.md, "Levels") ------------------------------------------------
# The queue shows a level and a deadline on top of the number: people act on "immediate danger", not on 740.
IMMEDIATE_DANGER = "immediate_danger"
HIGH = "high"
NORMAL = "normal"
LOW = "low"
LEVELS = (IMMEDIATE_DANGER, HIGH, NORMAL, LOW)
# A child at risk now, not only material: with a hint that it happens in this country, the case is immediate.
DANGER_KINDS = frozenset({"trafficking", "travelling_offender"})
HIGH_FROM = 300  # the smallest urgent weight: any urgent signal makes a case high
NORMAL_FROM = 24  # a day in the queue, or any routine signal worth as much
# How soon each level should be dealt with, counted from when the case entered the queue (hours).
RESPONSE_HOURS = {IMMEDIATE_DANGER: 1, HIGH: 24, NORMAL: 72, LOW: 168}


def priority_level(*, priority: int, kind: str, home_country_hint: bool) -> str:
    """The named level of a case: immediate danger (a child trafficked or a travelling offender, with a victim or
    place hint in this country), high (any urgent signal), normal, low."""
    if str(kind) in DANGER_KINDS and home_country_hint:
        return IMMEDIATE_DANGER
    if priority >= HIGH_FROM:
        return HIGH
    if priority >= NORMAL_FROM:
        return NORMAL
    return LOW
