"""Business rules of casework as plain functions (no database): tested without Django models."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

VERDICTS = frozenset({"csam_baseline", "csam_national", "harmful_not_illegal", "not_csam", "unreachable", "duplicate"})
STATES = ("new", "triaged", "in_assessment", "assessed", "referred", "monitoring", "closed")
# The queue shows these by default: the cases that still need an analyst's first look.
QUEUE_DEFAULT_STATES = ("new", "triaged", "in_assessment")
OPEN_STATES = tuple(s for s in STATES if s != "closed")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_verdict_list(spec: str) -> frozenset[str]:
    """'csam_national, harmful_not_illegal' -> frozenset. A misspelt verdict is refused, never ignored
    (a typo must not silently switch four-eyes off)."""
    names = {part.strip() for part in spec.split(",") if part.strip()}
    unknown = names - VERDICTS
    if unknown:
        raise ImproperlyConfigured(
            f"HOTLINE_FOUR_EYES_VERDICTS names unknown verdicts {sorted(unknown)}; known: {sorted(VERDICTS)}."
        )
    return frozenset(names)


def parse_overdue_hours(spec: str) -> dict[str, int]:
    """'triaged=72,assessed=48' -> {"triaged": 72, "assessed": 48}. Refuses unknown states and bad numbers."""
    result: dict[str, int] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        state, sep, hours = part.partition("=")
        state = state.strip()
        if not sep or state not in OPEN_STATES or not hours.strip().isdigit() or int(hours) <= 0:
            raise ImproperlyConfigured(
                f"HOTLINE_OVERDUE_HOURS entry {part!r} must look like 'state=hours' with an open state "
                f"({', '.join(OPEN_STATES)}) and a positive whole number of hours."
            )
        result[state] = int(hours)
    return result


def needs_four_eyes(verdict: str, four_eyes: frozenset[str]) -> bool:
    return verdict in four_eyes


@dataclass(frozen=True)
class Interval:
    started_at: datetime
    ended_at: datetime | None


def exposure_seconds(intervals: Iterable[Interval], *, now: datetime, cap: timedelta, since: datetime) -> int:
    """Seconds spent in assessment since `since`. An interval still open (or ended late) counts at most `cap`:
    a page left open over lunch is not exposure."""
    total = 0.0
    for interval in intervals:
        end = interval.ended_at or now
        end = min(end, interval.started_at + cap, now)
        start = max(interval.started_at, since)
        if end > start:
            total += (end - start).total_seconds()
    return int(total)


def exposure_level(*, minutes: int, limit: int) -> str:
    """'ok', 'near' (80 % of the daily limit) or 'over'."""
    if minutes >= limit:
        return "over"
    if minutes * 5 >= limit * 4:
        return "near"
    return "ok"


# --- channels kept on a case as ",api,web," (sorted) so one LIKE filter finds them on every database ---
def add_channel(channels: str, channel: str) -> str:
    names = {c for c in channels.split(",") if c} | {channel}
    return "," + ",".join(sorted(names)) + ","


def channel_list(channels: str) -> list[str]:
    return [c for c in channels.split(",") if c]


# --- keyset cursor of the queue: (priority, created_at, id) of the last row shown -------------------
@dataclass(frozen=True, order=True)
class QueueKey:
    """Sort key of the queue: highest priority first, then oldest, then lowest id."""

    neg_priority: int
    created_at: datetime
    case_id: int

    @property
    def priority(self) -> int:
        return -self.neg_priority

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)  # exact, unlike float timestamps
        return f"{self.priority}_{micros}_{self.case_id}"


def decode_cursor(value: str) -> QueueKey | None:
    """The cursor from a query string, or None when it is missing or malformed (then the first page shows)."""
    parts = value.split("_")
    if len(parts) != 3:
        return None
    try:
        priority, micros, case_id = (int(p) for p in parts)
    except ValueError:
        return None
    if case_id <= 0 or not (0 <= micros < 10**17) or abs(priority) > 10**9:
        return None
    created = EPOCH + timedelta(microseconds=micros)
    return QueueKey(-priority, created, case_id)


# --- hashes a report carries (cases.ReportHash) ---------------------------------------------------
HASH_HEX_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32, "pdq": 64}
HASH_LABELS = {"sha256": "SHA-256", "sha1": "SHA-1", "md5": "MD5", "pdq": "PDQ"}
PDQ_QUALITY_MAX = 100
# At most this many hashes with one report: three for each of a generous number of files. The channel that
# takes them (intake) sets its own, lower limit on files and says so in its own words first.
MAX_REPORT_HASHES = 300
_LOWER_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class HashInput:
    """One hash as a channel received it: kind (sha256, md5, pdq), hex value, PDQ's quality (pdq only)."""

    kind: str
    value: str
    quality: int | None = None


def _hash_problem(item: object) -> str | None:
    if not isinstance(item, HashInput) or not isinstance(item.kind, str) or not isinstance(item.value, str):
        return str(_("Each hash needs a kind (sha256, md5 or pdq) and a value."))
    length = HASH_HEX_LENGTHS.get(item.kind)
    if length is None:
        return str(_("Unknown kind of hash %(kind)r: use sha256, sha1, md5 or pdq.") % {"kind": item.kind[:20]})
    value = item.value.strip().lower()
    if len(value) != length or not _LOWER_HEX.fullmatch(value):
        return str(
            _("%(label)s hashes are %(length)d hexadecimal digits (0-9, a-f); this one is not.")
            % {"label": HASH_LABELS[item.kind], "length": length}
        )
    quality = item.quality
    if quality is not None:
        if item.kind != "pdq":
            return str(_("Only a PDQ hash has a quality."))
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= PDQ_QUALITY_MAX:
            return str(_("The quality of a PDQ hash is a whole number from 0 to 100."))
    return None


def report_hash_problems(hashes: Sequence[object], *, limit: int = MAX_REPORT_HASHES) -> dict[str, str]:
    """Field -> message for everything wrong with a report's hashes ("hashes.<i>", 0-based, or "hashes" for the
    list as a whole); an empty dict: they can be stored."""
    if len(hashes) > limit:
        message = ngettext_lazy(
            "A report can carry at most %(max)d hash.", "A report can carry at most %(max)d hashes.", limit
        )
        return {"hashes": str(message % {"max": limit})}
    return {f"hashes.{i}": problem for i, item in enumerate(hashes) if (problem := _hash_problem(item))}


def normal_hashes(hashes: Iterable[HashInput]) -> list[HashInput]:
    """The hashes in normal form (lowercase, trimmed), each (kind, value) once, first occurrence kept: the same
    file picked twice is one file. Only for hashes `report_hash_problems` accepted."""
    seen: set[tuple[str, str]] = set()
    result = []
    for item in hashes:
        key = (item.kind, item.value.strip().lower())
        if key not in seen:
            seen.add(key)
            result.append(HashInput(kind=key[0], value=key[1], quality=item.quality))
    return result


# --- contact police now -----------------------------------------------------------------------------------
# A child at risk in this country is a matter for the police before any assessment of material: these kinds,
# with a reporter's "yes" that the victim or the place is here, offer the "contact police now" path.
POLICE_NOW_KINDS = frozenset({"trafficking", "travelling_offender", "grooming"})


def police_now_offered(*, kind: str, state: str, nexus_victim_hint: bool, nexus_place_hint: bool) -> bool:
    """Whether a case offers "contact police now" (docs/priority.md)."""
    return state != "closed" and str(kind) in POLICE_NOW_KINDS and (nexus_victim_hint or nexus_place_hint)
