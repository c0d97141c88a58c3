"""Extension points the cases app offers the apps above it. Cases never imports those apps: it sends a signal
and whoever is installed answers. A receiver connects in its app's AppConfig.ready(), with a dispatch_uid.

* `hosts_found(hosts: list[str])`: sent by triage inside its transaction with the hosts of the cases it
  created or reopened (plain host names, never URLs). Receivers write inside a transaction.atomic() of their
  own (a savepoint), so a failure leaves triage's writes and the connection usable. A receiver that raises
  is logged (the exception's class only: its message could name a host) and triage goes on. Return values
  are ignored. tracing: queue hosting traces.
* `reports_triaged(cases: list[TriagedCase])`: sent by triage inside its transaction, after its writes, with
  each case a batch created or gave a report (ids, the case's URL blind index and registered domain: never a
  URL). Like hosts_found, receivers write in a savepoint of their own and a failing one is logged by class.
  intel: match the reports' hashes and the case's URL against its lists (services.record_list_match).
* `case_page_panels(case: Case)`: sent while the case page is built. A receiver returns a CasePanel, a list
  of them, or None; each is rendered as a section of the page at its `order` (see CASE_PAGE_SECTIONS).
  tracing: the host's hosting history; referrals: the case's referrals.
* `case_transitioned(case_id: int, from_state: str, to_state: str, at: datetime)`: sent by
  services.transition_case inside its transaction, after the move is written. Receivers write in that
  transaction (what they write commits or rolls back with the move); one that raises aborts the move.
  network: the status update owed to a partner hotline whose forward became this case.
* `timeline_labels()`: sent when the case page labels its timeline. A receiver returns TimelineLabels (or a
  list) for the event kinds its app writes through services.record_case_event. referrals: its delivery steps.
* `police_now_requested(case: Case, actor: StaffUser, urgency: str)`: sent by services.contact_police_now inside
  its transaction, with the case locked. A receiver plans and enqueues a police referral in that transaction
  and returns its id (an exception aborts the whole action). referrals: a police referral without assessment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal
from django.utils.functional import Promise

from hotline.cases.models import Case

logger = logging.getLogger("hotline.cases")


class _QuietSignal(Signal):
    """send_robust that logs a failing receiver by its exception's class only: Django's own log line carries
    the exception's message, which could name a host (cases/tests/test_hooks.py holds it to that)."""

    def _log_robust_failure(self, receiver: Any, err: Exception) -> None:
        logger.warning(
            "A receiver of a cases hook failed (%s in %s); the caller goes on without it.",
            type(err).__name__,
            getattr(receiver, "__qualname__", type(receiver).__name__),
        )


hosts_found = _QuietSignal()
reports_triaged = _QuietSignal()
case_page_panels = Signal()
timeline_labels = Signal()
case_transitioned = Signal()
police_now_requested = Signal()

# The case page's own sections in page order, each with its order: a panel of order N is shown after the last
# own section whose order is below N ("start": before the first).
CASE_PAGE_SECTIONS: tuple[tuple[str, int], ...] = (
    ("url", 100),
    ("duplicates", 200),
    ("reports", 300),
    ("assessment", 400),
    ("close", 500),
    ("related", 600),
    ("timeline", 700),
)


@dataclass(frozen=True)
class TriagedCase:
    """A case one triage batch created or attached reports to, as reports_triaged tells it."""

    case_id: int
    report_ids: tuple[int, ...]  # the batch's reports on the case
    channels: tuple[str, ...]  # their channels, in the same order
    url_index: str | None  # blind index of the canonical URL (None: a situation or an unreadable URL)
    registered_domain: str
    created: bool


@dataclass(frozen=True)
class CasePanel:
    """A section another app adds to the case page: `<h2 id="{key}-heading">{title}</h2>`, then `template`
    rendered with the page's context plus `context`."""

    key: str
    title: str | Promise
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 1000


@dataclass(frozen=True)
class TimelineLabels:
    """How the case page names events of `kind`: `label`, then the label of details["action"] (`actions`)."""

    kind: str
    label: str | Promise
    actions: Mapping[str, str | Promise] = field(default_factory=dict)


def announce_hosts_found(hosts: list[str]) -> None:
    """Send hosts_found; a failing receiver is logged without the hosts and never stops the caller."""
    if not hosts:
        return
    for _receiver, response in hosts_found.send_robust(sender=Case, hosts=hosts):
        if isinstance(response, Exception):
            logger.warning("A receiver of hosts_found failed (%s); triage goes on without it.", type(response).__name__)


def announce_reports_triaged(cases: list[TriagedCase]) -> None:
    """Send reports_triaged; a failing receiver is logged by its class and never stops triage."""
    if not cases:
        return
    for _receiver, response in reports_triaged.send_robust(sender=Case, cases=cases):
        if isinstance(response, Exception):
            logger.warning(
                "A receiver of reports_triaged failed (%s); triage goes on without it.", type(response).__name__
            )


def _flatten(responses: list[tuple[Any, Any]], kind: type) -> list[Any]:
    found: list[Any] = []
    for _receiver, response in responses:
        if isinstance(response, kind):
            found.append(response)
        elif isinstance(response, (list, tuple)):
            found.extend(item for item in response if isinstance(item, kind))
    return found


def panels_for(case: Case) -> list[CasePanel]:
    """The panels the installed apps give this case, in page order."""
    panels: list[CasePanel] = _flatten(case_page_panels.send(sender=Case, case=case), CasePanel)
    return sorted(panels, key=lambda panel: (panel.order, panel.key))


def timeline_label_table() -> dict[str, TimelineLabels]:
    """The labels of other apps' event kinds, by kind."""
    return {labels.kind: labels for labels in _flatten(timeline_labels.send(sender=Case), TimelineLabels)}
