"""Settings of the cases app, read at call time (so tests and operators can change them) with safe defaults.

Each value comes from a Django setting if present, else the environment variable of the same name.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings

from hotline.cases.rules import parse_overdue_hours, parse_verdict_list

# Verdicts that need a supervisor's confirmation before they count. The national-law and
# "harmful but not illegal" calls are the judgement calls (the baseline is the clear-cut one),
# so those are the ones a second pair of eyes is most useful for.
DEFAULT_FOUR_EYES_VERDICTS = "csam_national,harmful_not_illegal"
# Hours a case may stay in each state before the supervisor's overdue list shows it.
# JOURNEYS.md: a case without police referral within 3 days is overdue.
DEFAULT_OVERDUE_HOURS = "new=2,triaged=72,in_assessment=72,assessed=72,referred=336,monitoring=720"


def _value(name: str, default: str) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return value


def _int(name: str, default: int) -> int:
    try:
        return int(_value(name, str(default)))
    except (TypeError, ValueError):
        return default


def report_text_retention_days() -> int | None:
    """HOTLINE_REPORT_TEXT_RETENTION_DAYS (default unset: never). Days after the last of a report's cases
    closed when the reporter's own texts (description, where seen, contact, later messages) are erased."""
    days = _int("HOTLINE_REPORT_TEXT_RETENTION_DAYS", 0)
    return days if days > 0 else None


def claim_duration() -> timedelta:
    """HOTLINE_CLAIM_MINUTES (default 60): how long a claim holds before another analyst may take the case."""
    return timedelta(minutes=max(1, _int("HOTLINE_CLAIM_MINUTES", 60)))


def four_eyes_verdicts() -> frozenset[str]:
    """HOTLINE_FOUR_EYES_VERDICTS (comma list; empty string turns four-eyes off)."""
    value = _value("HOTLINE_FOUR_EYES_VERDICTS", DEFAULT_FOUR_EYES_VERDICTS)
    if isinstance(value, (list, tuple, set, frozenset)):
        value = ",".join(value)
    return parse_verdict_list(str(value))


def exposure_limit_minutes() -> int:
    """HOTLINE_EXPOSURE_LIMIT_MINUTES (default 120): suggested daily maximum of time in assessment."""
    return max(1, _int("HOTLINE_EXPOSURE_LIMIT_MINUTES", 120))


def exposure_session_cap() -> timedelta:
    """HOTLINE_EXPOSURE_SESSION_CAP_MINUTES (default 30): an assessment page left open counts at most this long."""
    return timedelta(minutes=max(1, _int("HOTLINE_EXPOSURE_SESSION_CAP_MINUTES", 30)))


def overdue_hours() -> dict[str, int]:
    """HOTLINE_OVERDUE_HOURS ("state=hours,..."; states left out keep their default)."""
    defaults = parse_overdue_hours(DEFAULT_OVERDUE_HOURS)
    value = _value("HOTLINE_OVERDUE_HOURS", "")
    if isinstance(value, dict):
        return {**defaults, **{str(k): int(v) for k, v in value.items()}}
    return {**defaults, **parse_overdue_hours(str(value))}


def queue_page_size() -> int:
    return max(5, min(200, _int("HOTLINE_QUEUE_PAGE_SIZE", 50)))
