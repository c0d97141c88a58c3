"""Reads of the payment indicators: a case's indicators (case page), the liaison's list and review page, the
exports. Pages of the coalition liaison read only PaymentIndicator and CoalitionExport: no case, report or
sighting row reaches them (a test renders them with cases present and finds none of their facts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from django.db.models import Count, QuerySet

from hotline.cases.models import Case
from hotline.intel.models import CoalitionExport, PaymentIndicator, PaymentIndicatorSighting, ReviewState
from hotline.intel.payment_rules import ExportRow


@dataclass(frozen=True)
class CaseIndicator:
    indicator: PaymentIndicator
    sighting: PaymentIndicatorSighting
    other_case_ids: Sequence[int]  # shown on the case page only (case roles), newest first, at most 20


OTHER_CASES_SHOWN = 20


def case_indicators(*, case: Case) -> list[CaseIndicator]:
    sightings = list(
        PaymentIndicatorSighting.objects.filter(case_id=case.pk)
        .select_related("indicator", "entered_by")
        .order_by("entered_at", "pk")
    )
    others: dict[int, list[int]] = {s.indicator_id: [] for s in sightings}
    if others:
        rows = (
            PaymentIndicatorSighting.objects.filter(indicator_id__in=list(others))
            .exclude(case_id=case.pk)
            .order_by("-entered_at")
            .values_list("indicator_id", "case_id")
        )
        for indicator_id, case_id in rows:
            if len(others[indicator_id]) < OTHER_CASES_SHOWN:
                others[indicator_id].append(case_id)
    return [CaseIndicator(s.indicator, s, others[s.indicator_id]) for s in sightings]


def indicator_list(*, kind: str = "", state: str = "") -> QuerySet[PaymentIndicator]:
    """The liaison's list, most recently seen first."""
    found = PaymentIndicator.objects.all()
    if kind:
        found = found.filter(kind=kind)
    if state:
        found = found.filter(review_state=state)
    return found.select_related("reviewed_by").order_by("-last_seen_at", "-pk")


def review_counts() -> dict[str, int]:
    counts = dict(PaymentIndicator.objects.values_list("review_state").annotate(n=Count("pk")).order_by())
    return {state: counts.get(state, 0) for state in ReviewState.values}


def get_indicator(*, indicator_id: int) -> PaymentIndicator | None:
    return PaymentIndicator.objects.filter(pk=indicator_id).select_related("reviewed_by").first()


def export_rows() -> list[ExportRow]:
    """Included indicators that are on at least one case, from the indicator table's own columns only."""
    rows = (
        PaymentIndicator.objects.filter(review_state=ReviewState.INCLUDED, case_count__gt=0)
        .order_by("kind", "value")
        .values_list("kind", "value", "network", "subtype", "first_seen_at", "last_seen_at", "case_count")
    )
    return [
        ExportRow(
            kind=kind,
            value=value,
            network=network,
            subtype=subtype,
            first_seen=first.astimezone(UTC).date(),
            last_seen=last.astimezone(UTC).date(),
            case_count=count,
        )
        for kind, value, network, subtype, first, last, count in rows
    ]


def exports() -> QuerySet[CoalitionExport]:
    return CoalitionExport.objects.defer("csv_content", "json_content").order_by("-number")


def get_export(*, export_id: int) -> CoalitionExport | None:
    return CoalitionExport.objects.filter(pk=export_id).select_related("published_by").first()
