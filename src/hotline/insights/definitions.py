"""The counting rules every figure follows, in code (docs/statistics.md says the same in words). Changing a rule
changes DEFINITIONS_VERSION, which a published results page records beside its figures."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings

DEFINITIONS_VERSION = "2026-12"

# Measures of time, from the case's first report to ...
TO_ASSESSMENT = "assessment"
TO_POLICE = "police"
TO_REMOVAL = "removal"
MEASURES = (TO_ASSESSMENT, TO_POLICE, TO_REMOVAL)

# INHOPE's measure: removed within three days (72 hours) of the first report.
REMOVED_WITHIN = timedelta(days=3)

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


# The duration buckets: (below this many seconds, a bucket is this many seconds wide); the last holds the rest.
# The rollups' SQL is made from this table too (services/rollups.py), so the two can never disagree.
DURATION_STEPS: tuple[tuple[int | None, int], ...] = (
    (HOUR, MINUTE),
    (2 * DAY, 15 * MINUTE),
    (30 * DAY, HOUR),
    (None, DAY),
)


def bucket(seconds: int) -> int:
    """The lower edge of the duration bucket `seconds` falls in: to the minute under an hour, to the quarter of an
    hour under two days, to the hour under 30 days, to the day beyond. Medians and the 90th percentile are given
    to the bucket they fall in, so the rollups can keep counts instead of every duration."""
    seconds = max(0, int(seconds))
    step = next(width for below, width in DURATION_STEPS if below is None or seconds < below)
    return seconds - seconds % step


def percentile(counts: dict[int, int], percent: int) -> int | None:
    """Nearest-rank percentile of bucketed durations ({bucket: count}): the bucket holding the value at rank
    ceil(percent / 100 * n). None when there is nothing to measure."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max(1, (percent * total + 99) // 100)
    seen = 0
    for edge in sorted(counts):
        seen += counts[edge]
        if seen >= rank:
            return edge
    return max(counts)  # pragma: no cover - the loop always reaches rank


def time_zone() -> zoneinfo.ZoneInfo:
    """Period boundaries fall at midnight in the installation's time zone (TIME_ZONE, HOTLINE_TIME_ZONE)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    return moment.astimezone(time_zone()).date()


def day_start(day: date) -> datetime:
    """The moment `day` begins in the installation's time zone (aware)."""
    return datetime.combine(day, time.min, tzinfo=time_zone())


# Where the definitions are read: docs/statistics.md rendered for staff and, the same text, for the public (the
# results pages link each computed figure to it). Each section of docs/statistics.md has an anchor ({#reports}).
STAFF_DEFINITIONS_PATH = "/insights/definitions/"
PUBLIC_DEFINITIONS_PATH = "/results/definitions/"


def definition_url(anchor: str, *, public: bool = False) -> str:
    """The address of one figure's definition: `definition_url("nexus")` -> "/insights/definitions/#nexus"."""
    return f"{PUBLIC_DEFINITIONS_PATH if public else STAFF_DEFINITIONS_PATH}#{anchor}"
