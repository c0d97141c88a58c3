"""What cases contributes to /metrics: reports received by channel, the untriaged backlog, open cases by state.

Read when Prometheus asks, through indexes (received_at, the partial index of untriaged reports, the queue index
that starts with the state). Labels are the code's own channel and state words.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone

from hotline.cases.models import Case, CaseState, Channel, Report
from hotline.core.registry import Metric

WINDOWS = (("1h", timedelta(hours=1)), ("24h", timedelta(hours=24)))


def collect() -> list[Metric]:
    now = timezone.now()
    received: list[tuple[tuple[str, ...], float]] = []
    for window, length in WINDOWS:
        counts = dict(
            Report.objects.filter(received_at__gte=now - length)
            .values_list("channel")
            .order_by("channel")
            .annotate(n=Count("pk"))
        )
        received += [((channel, window), counts.get(channel, 0)) for channel in Channel.values]
    untriaged = Report.objects.filter(triaged_at=None).aggregate(n=Count("pk"), oldest=Min("received_at"))
    oldest = untriaged["oldest"]
    open_states = [state for state in CaseState.values if state != CaseState.CLOSED]
    by_state = dict(
        Case.objects.filter(state__in=open_states).values_list("state").order_by("state").annotate(n=Count("pk"))
    )
    return [
        Metric(
            "hotline_reports_received",
            "Reports received in the last hour or day, by channel (web, bookmark, share, api, network, staff).",
            labels=("channel", "window"),
            samples=tuple(received),
        ),
        Metric("hotline_reports_untriaged", "Reports received and not yet triaged.", samples=(((), untriaged["n"]),)),
        Metric(
            "hotline_report_oldest_untriaged_age_seconds",
            "How long the oldest untriaged report has waited for triage (0: none waits).",
            samples=(((), max((now - oldest).total_seconds(), 0.0) if oldest else 0.0),),
        ),
        Metric(
            "hotline_cases_open",
            "Cases not closed, by state (the analysts' queue is new and triaged).",
            labels=("state",),
            samples=tuple(((state,), by_state.get(state, 0)) for state in open_states),
        ),
    ]
