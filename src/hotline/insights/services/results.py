"""Writes for the yearly goals and results: a goal and its indicators (computed from Hotline's data or entered by
hand) and publishing a year, which freezes every value with the data and definitions versions it came from. Each
write is audited in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core import audit
from hotline.core.authz import SUPERVISOR, user_has_any_role
from hotline.core.errors import DomainError
from hotline.insights import definitions
from hotline.insights.models import Goal, Indicator, IndicatorKind, PublishedResult
from hotline.insights.selectors import results as results_selectors
from hotline.insights.services import rollups

FIRST_YEAR, LAST_YEAR = 2000, 2100


class ResultsError(DomainError):
    """A write to goals, indicators or publications refused, with the reason in words (`message`)."""


def _check_year(goal_year: int) -> None:
    if not FIRST_YEAR <= goal_year <= LAST_YEAR:
        raise ResultsError(_("The year must be between 2000 and 2100."))


@dataclass(frozen=True)
class GoalText:
    title_sv: str
    title_en: str
    narrative_sv: str = ""
    narrative_en: str = ""
    order: int = 0


def _check_goal(text: GoalText) -> None:
    if not text.title_sv.strip() or not text.title_en.strip():
        raise ResultsError(_("A goal needs a title in Swedish and in English."))


def create_goal(*, actor: Any, goal_year: int, text: GoalText) -> Goal:
    _check_year(goal_year)
    _check_goal(text)
    with transaction.atomic():
        goal = Goal.objects.create(
            year=goal_year,
            title_sv=text.title_sv.strip(),
            title_en=text.title_en.strip(),
            narrative_sv=text.narrative_sv.strip(),
            narrative_en=text.narrative_en.strip(),
            order=text.order,
        )
        audit.record(
            actor=actor, action="insights.goal_created", object_type="goal", object_id=goal.pk,
            details={"year": goal_year},
        )  # fmt: skip
    return goal


def edit_goal(*, actor: Any, goal: Goal, text: GoalText) -> Goal:
    _check_goal(text)
    with transaction.atomic():
        goal.title_sv, goal.title_en = text.title_sv.strip(), text.title_en.strip()
        goal.narrative_sv, goal.narrative_en = text.narrative_sv.strip(), text.narrative_en.strip()
        goal.order = text.order
        goal.save()
        audit.record(
            actor=actor, action="insights.goal_edited", object_type="goal", object_id=goal.pk,
            details={"year": goal.year},
        )  # fmt: skip
    return goal


def _check_labels(label_sv: str, label_en: str) -> None:
    if not label_sv.strip() or not label_en.strip():
        raise ResultsError(_("An indicator needs a name in Swedish and in English."))


def add_computed_indicator(
    *,
    actor: Any,
    goal: Goal,
    label_sv: str,
    label_en: str,
    figure: str,
    quarter: int | None = None,
    year_earlier: bool = False,
    order: int = 0,
) -> Indicator:
    """An indicator computed from one of the dashboard's key figures for the goal's year (or one of its quarters),
    optionally as the ratio to the same period a year earlier. Its value is frozen when the year is published."""
    _check_labels(label_sv, label_en)
    if figure not in results_selectors.computed_figures():
        raise ResultsError(_("There is no such figure."))
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ResultsError(_("The quarter must be 1, 2, 3 or 4."))
    with transaction.atomic():
        indicator = Indicator.objects.create(
            goal=goal, kind=IndicatorKind.COMPUTED, label_sv=label_sv.strip(), label_en=label_en.strip(),
            figure=figure, quarter=quarter, year_earlier=year_earlier, order=order,
        )  # fmt: skip
        audit.record(
            actor=actor, action="insights.indicator_added", object_type="indicator", object_id=indicator.pk,
            details={"goal": goal.pk, "kind": "computed", "figure": figure, "quarter": quarter,
                     "year_earlier": year_earlier},
        )  # fmt: skip
    return indicator


def add_manual_indicator(
    *,
    actor: Any,
    goal: Goal,
    label_sv: str,
    label_en: str,
    value: Decimal,
    unit: str = "",
    source_sv: str,
    source_en: str,
    source_date: date,
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    order: int = 0,
) -> Indicator:
    """A figure from outside Hotline (a survey, an event, a hand-over) with its source and date, and optionally
    the value it started from (4 % -> 8 %)."""
    _check_labels(label_sv, label_en)
    if unit not in results_selectors.UNITS:
        raise ResultsError(_("There is no such unit."))
    if not source_sv.strip() or not source_en.strip():
        raise ResultsError(_("A figure entered by hand needs its source in Swedish and in English."))
    if source_date is None:
        raise ResultsError(_("A figure entered by hand needs the date of its source."))
    with transaction.atomic():
        indicator = Indicator.objects.create(
            goal=goal, kind=IndicatorKind.MANUAL, label_sv=label_sv.strip(), label_en=label_en.strip(),
            value=value, unit=unit, baseline=baseline, target=target, source_sv=source_sv.strip(),
            source_en=source_en.strip(), source_date=source_date, order=order,
        )  # fmt: skip
        audit.record(
            actor=actor, action="insights.indicator_added", object_type="indicator", object_id=indicator.pk,
            details={"goal": goal.pk, "kind": "manual", "value": str(value), "unit": unit,
                     "baseline": None if baseline is None else str(baseline)},
        )  # fmt: skip
    return indicator


def remove_indicator(*, actor: Any, indicator: Indicator) -> None:
    with transaction.atomic():
        pk, goal_pk = indicator.pk, indicator.goal_id
        indicator.delete()
        audit.record(
            actor=actor, action="insights.indicator_removed", object_type="indicator", object_id=pk,
            details={"goal": goal_pk},
        )  # fmt: skip


def publish(*, actor: Any, goal_year: int) -> PublishedResult:
    """Freeze the year's page: every text and every computed value as it is now, with the data version of the
    rollups and the definitions version. The new publication becomes the current one; earlier ones are kept.
    A supervisor's action."""
    if not user_has_any_role(actor, [SUPERVISOR]):
        raise ResultsError(_("Only a supervisor may publish the results."))
    _check_year(goal_year)
    rollups.refresh()  # every change so far counted before the figures are frozen
    with transaction.atomic():
        if not Goal.objects.filter(year=goal_year).exists():
            raise ResultsError(_("This year has no goals to publish."))
        version = rollups.data_version()
        frozen = results_selectors.snapshot(goal_year)
        replaced = list(
            PublishedResult.objects.select_for_update()
            .filter(year=goal_year, current=True)
            .values_list("pk", flat=True)
        )
        PublishedResult.objects.filter(pk__in=replaced).update(current=False)
        result = PublishedResult.objects.create(
            year=goal_year,
            snapshot=frozen,
            data_version=version,
            definitions_version=definitions.DEFINITIONS_VERSION,
            published_by=actor,
            published_at=timezone.now(),
            current=True,
        )
        audit.record(
            actor=actor, action="insights.results_published", object_type="published_result", object_id=result.pk,
            details={"year": goal_year, "data_version": version,
                     "definitions_version": definitions.DEFINITIONS_VERSION, "replaced": replaced},
        )  # fmt: skip
    return result
