"""Settings of the cases app (see docs/operating.md), read through hotline.core.conf with safe defaults."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hotline.cases.rules import parse_overdue_hours, parse_verdict_list
from hotline.core import conf

# Verdicts that need a supervisor's confirmation before they count. The national-law and
# "harmful but not illegal" calls are the judgement calls (the baseline is the clear-cut one),
# so those are the ones a second pair of eyes is most useful for.
DEFAULT_FOUR_EYES_VERDICTS = "csam_national,harmful_not_illegal"
# Hours a case may stay in each state before the supervisor's overdue list shows it:
# a case without police referral within 3 days is overdue.
DEFAULT_OVERDUE_HOURS = "new=2,triaged=72,in_assessment=72,assessed=72,referred=336,monitoring=720"
DEFAULT_TRIAGE_BATCH = 200
MAX_TRIAGE_BATCH = 1000
# An empty environment variable counts as unset (as for every setting), so switching four-eyes off
# from the environment takes a word.
NO_VERDICTS = "none"


def report_text_retention_days() -> int | None:
    """HOTLINE_REPORT_TEXT_RETENTION_DAYS (default unset: never). Days after the last of a report's cases
    closed when the reporter's own texts (description, where seen, contact, later messages) are erased."""
    days = conf.integer("HOTLINE_REPORT_TEXT_RETENTION_DAYS", 0)
    return days if days > 0 else None


def _legal_days(name: str) -> int | None:
    """A retention period agreed with the police or set by law: unset (or 0) means kept, and the dry run says so."""
    days = conf.integer(name, 0, minimum=0)
    return days or None


def reporter_contact_retention_days() -> int | None:
    """HOTLINE_REPORTER_CONTACT_RETENTION_DAYS (default unset: kept): days after the last of a report's cases
    closed when the reporter's contact alone is blanked (earlier than the other texts, if shorter)."""
    return _legal_days("HOTLINE_REPORTER_CONTACT_RETENTION_DAYS")


def reported_url_retention_days() -> int | None:
    """HOTLINE_REPORTED_URL_RETENTION_DAYS (default unset: kept): days after the last of a report's cases closed
    when the URLs exactly as reported (and their blind index) are blanked; the case keeps its canonical URL."""
    return _legal_days("HOTLINE_REPORTED_URL_RETENTION_DAYS")


def case_note_retention_days() -> int | None:
    """HOTLINE_CASE_NOTE_RETENTION_DAYS (default unset: kept): days after a case closed when its analysts' notes
    are deleted."""
    return _legal_days("HOTLINE_CASE_NOTE_RETENTION_DAYS")


def case_not_illegal_retention_days() -> int | None:
    """HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS (default unset: kept): days after closing when a case without an
    illegal verdict is anonymised (services.case_retention)."""
    return _legal_days("HOTLINE_CASE_NOT_ILLEGAL_RETENTION_DAYS")


def case_illegal_removed_retention_days() -> int | None:
    """HOTLINE_CASE_ILLEGAL_REMOVED_RETENTION_DAYS (default unset: kept): the same for illegal material that was
    removed."""
    return _legal_days("HOTLINE_CASE_ILLEGAL_REMOVED_RETENTION_DAYS")


def case_illegal_not_removed_retention_days() -> int | None:
    """HOTLINE_CASE_ILLEGAL_NOT_REMOVED_RETENTION_DAYS (default unset: kept): the same for illegal material that
    was not removed (closed as unreachable, no action possible, ...)."""
    return _legal_days("HOTLINE_CASE_ILLEGAL_NOT_REMOVED_RETENTION_DAYS")


def claim_duration() -> timedelta:
    """HOTLINE_CLAIM_MINUTES (default 60): how long a claim holds before another analyst may take the case."""
    return timedelta(minutes=conf.integer("HOTLINE_CLAIM_MINUTES", 60, minimum=1))


def _verdicts(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple | set | frozenset):
        value = ",".join(value)
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    if value.strip().lower() == NO_VERDICTS:
        return frozenset()
    return parse_verdict_list(value)


def four_eyes_verdicts() -> frozenset[str]:
    """HOTLINE_FOUR_EYES_VERDICTS (comma list; `none`, or an empty Django setting, turns four-eyes off).
    A misspelt verdict is refused (a typo must not switch four-eyes off)."""
    return conf.parsed(
        "HOTLINE_FOUR_EYES_VERDICTS",
        parse_verdict_list(DEFAULT_FOUR_EYES_VERDICTS),
        _verdicts,
        expects="a comma-separated list of verdicts, or none",
    )


def exposure_limit_minutes() -> int:
    """HOTLINE_EXPOSURE_LIMIT_MINUTES (default 120): suggested daily maximum of time in assessment."""
    return conf.integer("HOTLINE_EXPOSURE_LIMIT_MINUTES", 120, minimum=1)


def exposure_session_cap() -> timedelta:
    """HOTLINE_EXPOSURE_SESSION_CAP_MINUTES (default 30): an assessment page left open counts at most this long."""
    return timedelta(minutes=conf.integer("HOTLINE_EXPOSURE_SESSION_CAP_MINUTES", 30, minimum=1))


def _overdue(value: Any) -> dict[str, int] | None:
    if isinstance(value, dict):
        return {str(state): int(hours) for state, hours in value.items()}
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return parse_overdue_hours(value)


def overdue_hours() -> dict[str, int]:
    """HOTLINE_OVERDUE_HOURS ("state=hours,..."; states left out keep their default)."""
    chosen = conf.parsed("HOTLINE_OVERDUE_HOURS", None, _overdue, expects="state=hours entries separated by commas")
    return {**parse_overdue_hours(DEFAULT_OVERDUE_HOURS), **(chosen or {})}


def queue_page_size() -> int:
    return conf.integer("HOTLINE_QUEUE_PAGE_SIZE", 50, minimum=5, maximum=200)


def triage_batch_limit() -> int:
    """HOTLINE_TRIAGE_BATCH (default 200, 1 to 1000): how many reports one triage task takes in one transaction.

    Larger batches cost less per report but hold the write lock longer: on SQLite (one writer) a public
    submission arriving meanwhile waits until the batch commits (about 0.1 s for 200 reports, bench/casework.py).
    """
    return conf.integer("HOTLINE_TRIAGE_BATCH", DEFAULT_TRIAGE_BATCH, minimum=1, maximum=MAX_TRIAGE_BATCH)


def tracking_params() -> tuple[str, ...]:
    """HOTLINE_TRACKING_PARAMS: query parameters dropped on top of canonical.DEFAULT_TRACKING_PARAMS
    (a comma list, or a list as a Django setting; a trailing `*` makes a prefix)."""
    return conf.comma_list("HOTLINE_TRACKING_PARAMS")


ACCESSORS: tuple[conf.Accessor, ...] = (
    report_text_retention_days,
    reporter_contact_retention_days,
    reported_url_retention_days,
    case_note_retention_days,
    case_not_illegal_retention_days,
    case_illegal_removed_retention_days,
    case_illegal_not_removed_retention_days,
    claim_duration,
    four_eyes_verdicts,
    exposure_limit_minutes,
    exposure_session_cap,
    overdue_hours,
    queue_page_size,
    triage_batch_limit,
    tracking_params,
)
