"""Reads for the yearly goals and results: the figures an indicator may be computed from, a year's goals, the
snapshot that publishing freezes (every text in both languages, every value already in words), and the page
shown from a published snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils import formats, translation
from django.utils.translation import gettext as _

from hotline.insights import definitions
from hotline.insights.models import Goal, Indicator, IndicatorKind, PublishedResult
from hotline.insights.selectors import dashboard
from hotline.insights.selectors.figures import Period, figures, quarter, year

LANGUAGES = ("sv", "en")
PERCENT = "%"
UNITS = ("", PERCENT)  # a plain number, or a percentage


# A share's part and whole (Figures attributes), frozen beside it so the published share can be checked.
SHARE_PARTS = {
    "illegal_share": ("illegal", "assessed"),
    "nexus_partner_share": ("nexus_from_partner_hotlines", "nexus_cases"),
    "removed_fast_share": ("removed_within_3_days", "removed"),
}


def computed_figures() -> dict[str, dashboard.FigureSpec]:
    """Every key figure of the dashboard, by its code: what a computed indicator may show."""
    return {spec.code: spec for _title, specs in dashboard.GROUPS for spec in specs}


def figure_choices() -> list[tuple[str, str]]:
    return [(code, str(spec.label)) for code, spec in computed_figures().items()]


def indicator_period(goal_year: int, quarter_number: int | None) -> Period:
    return quarter(goal_year, quarter_number) if quarter_number else year(goal_year)


def goals(goal_year: int) -> list[Goal]:
    return list(Goal.objects.filter(year=goal_year).prefetch_related("indicators"))


@dataclass(frozen=True)
class YearRow:
    year: int
    goals: int
    published: PublishedResult | None


def years() -> list[YearRow]:
    """Every year with goals or a published page, newest first, with its current publication."""
    counts = dict(Goal.objects.values_list("year").annotate(n=Count("pk")).values_list("year", "n"))
    current = {r.year: r for r in PublishedResult.objects.filter(current=True)}
    return [YearRow(y, counts.get(y, 0), current.get(y)) for y in sorted(set(counts) | set(current), reverse=True)]


def current_result(goal_year: int) -> PublishedResult | None:
    return PublishedResult.objects.filter(year=goal_year, current=True).first()


def earlier_results(goal_year: int) -> list[PublishedResult]:
    return list(PublishedResult.objects.filter(year=goal_year, current=False).select_related("published_by"))


# --- the snapshot --------------------------------------------------------------------------------------------
def _in_both(make: Any) -> dict[str, str]:
    """{"sv": ..., "en": ...}: `make()` called with each language active."""
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = str(make())
    return texts


def manual_text(value: Decimal | None, unit: str) -> str:
    if value is None:
        return _("no data")
    decimals = 0 if value == value.to_integral_value() else 1
    number = dashboard._number(value, decimals)
    return _("%(percent)s %%") % {"percent": number} if unit == PERCENT else number


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def _computed(indicator: Indicator, goal_year: int) -> dict[str, Any]:
    spec = computed_figures()[indicator.figure]
    period = indicator_period(goal_year, indicator.quarter)
    counted = figures(period)
    now = spec.value(counted, dashboard.campaign_figures(period)[0])
    entry: dict[str, Any] = {
        "figure": spec.code,
        "figure_kind": spec.kind,
        "definition": definitions.definition_url(spec.anchor, public=True),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "unit": period.unit},
        "now": _number(now),
        "figure_label": _in_both(lambda: spec.label),
    }
    parts = SHARE_PARTS.get(spec.code)
    if parts:
        entry["part"], entry["whole"] = (getattr(counted, name) for name in parts)
    now_bar = {"label": _in_both(lambda: dashboard.period_label(period)), "value": _number(now)}
    if not indicator.year_earlier:
        entry["value"] = _number(now)
        entry["value_text"] = _in_both(lambda: dashboard.format_value(now, spec.kind))
        if parts:
            entry["detail"] = _in_both(
                lambda: (
                    _("%(figure)s, %(period)s: %(part)s of %(whole)s")
                    % {
                        **_figure_and_period(spec, period),
                        "part": dashboard.format_count(entry["part"]),
                        "whole": dashboard.format_count(entry["whole"]),
                    }
                )
            )
        else:
            entry["detail"] = _in_both(lambda: _("%(figure)s, %(period)s") % _figure_and_period(spec, period))
        entry["bars"] = [now_bar]
        return entry
    earlier = period.year_earlier()
    before = spec.value(figures(earlier), dashboard.campaign_figures(earlier)[0])
    entry["earlier_period"] = {"start": earlier.start.isoformat(), "end": earlier.end.isoformat()}
    entry["before"] = _number(before)
    if spec.kind == dashboard.SHARE:
        entry["value"] = _number(dashboard.difference(now, before))
        entry["value_text"] = _in_both(
            lambda: dashboard.format_difference(dashboard.difference(now, before), spec.kind)
        )
    else:
        entry["value"] = _number(dashboard.ratio(now, before))
        entry["value_text"] = _in_both(lambda: dashboard.format_ratio(dashboard.ratio(now, before)))
    entry["detail"] = _in_both(
        lambda: (
            _("%(figure)s: %(now)s in %(period)s against %(before)s in %(earlier)s")
            % {
                **_figure_and_period(spec, period),
                "now": dashboard.format_value(now, spec.kind),
                "before": dashboard.format_value(before, spec.kind),
                "earlier": dashboard.period_label(earlier),
            }
        )
    )
    entry["bars"] = [{"label": _in_both(lambda: dashboard.period_label(earlier)), "value": _number(before)}, now_bar]
    return entry


def _figure_and_period(spec: dashboard.FigureSpec, period: Period) -> dict[str, str]:
    return {"figure": str(spec.label), "period": dashboard.period_label(period)}


def _manual(indicator: Indicator) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "unit": indicator.unit,
        "value": _number(indicator.value),  # type: ignore[arg-type]
        "value_text": _in_both(lambda: manual_text(indicator.value, indicator.unit)),
        "source": {"sv": indicator.source_sv, "en": indicator.source_en},
        "source_date": indicator.source_date.isoformat() if indicator.source_date else "",
        "bars": [],
    }
    if indicator.baseline is not None:
        entry["baseline"] = _number(indicator.baseline)  # type: ignore[arg-type]
        entry["baseline_text"] = _in_both(lambda: manual_text(indicator.baseline, indicator.unit))
        entry["detail"] = _in_both(
            lambda: (
                _("from %(baseline)s to %(value)s")
                % {
                    "baseline": manual_text(indicator.baseline, indicator.unit),
                    "value": manual_text(indicator.value, indicator.unit),
                }
            )
        )
        entry["bars"].append({"label": _in_both(lambda: _("Before")), "value": entry["baseline"]})
        entry["bars"].append({"label": _in_both(lambda: _("After")), "value": entry["value"]})
    else:
        entry["detail"] = {"sv": "", "en": ""}
        entry["bars"].append({"label": _in_both(lambda: _("Result")), "value": entry["value"]})
    if indicator.target is not None:
        entry["target_text"] = _in_both(lambda: manual_text(indicator.target, indicator.unit))
    return entry


def snapshot(goal_year: int) -> dict[str, Any]:
    """The whole page of `goal_year` as it is now: what publishing freezes. Plain JSON, both languages."""
    shown = []
    for goal in goals(goal_year):
        indicators = []
        for indicator in goal.indicators.all():
            entry = _computed(indicator, goal_year) if indicator.kind == IndicatorKind.COMPUTED else _manual(indicator)
            indicators.append(
                {"kind": indicator.kind, "label": {"sv": indicator.label_sv, "en": indicator.label_en}, **entry}
            )
        shown.append(
            {
                "title": {"sv": goal.title_sv, "en": goal.title_en},
                "narrative": {"sv": goal.narrative_sv, "en": goal.narrative_en},
                "indicators": indicators,
            }
        )
    return {"year": goal_year, "goals": shown}


# --- a published page in one language -------------------------------------------------------------------------
@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str


@dataclass(frozen=True)
class ShownIndicator:
    number: int  # its place on the page (1, 2, ...): the address of its chart
    label: str
    kind: str
    value_text: str
    detail: str
    definition: str  # "" for a figure entered by hand
    source: str
    source_date: str  # ISO
    source_date_text: str  # in words
    target_text: str
    bars: list[Bar]
    percent: bool


@dataclass(frozen=True)
class ShownGoal:
    title: str
    narrative: list[str]  # paragraphs
    indicators: list[ShownIndicator]


@dataclass(frozen=True)
class ShownPage:
    year: int
    goals: list[ShownGoal]
    data_version: int
    definitions_version: str
    published_at: Any


def _bar_text(entry: dict[str, Any], value: float | None) -> str:
    if entry["kind"] == IndicatorKind.COMPUTED:
        return dashboard.format_value(value, entry["figure_kind"])
    return manual_text(None if value is None else Decimal(str(value)), entry.get("unit", ""))


def shown_page(result: PublishedResult, language: str) -> ShownPage:
    """The published snapshot of `result` in `language` ("sv" or "en"): nothing here reads today's data."""
    language = language if language in LANGUAGES else "en"
    with translation.override(language):
        return _shown_page(result, language)


def _shown_page(result: PublishedResult, language: str) -> ShownPage:
    data = result.snapshot
    number = 0
    shown_goals = []
    for goal in data["goals"]:
        shown = []
        for entry in goal["indicators"]:
            number += 1
            computed = entry["kind"] == IndicatorKind.COMPUTED
            shown.append(
                ShownIndicator(
                    number=number,
                    label=entry["label"][language],
                    kind=entry["kind"],
                    value_text=entry["value_text"][language],
                    detail=entry.get("detail", {}).get(language, ""),
                    definition=entry.get("definition", "") if computed else "",
                    source=entry.get("source", {}).get(language, ""),
                    source_date=entry.get("source_date", ""),
                    source_date_text=_date_text(entry.get("source_date", "")),
                    target_text=entry.get("target_text", {}).get(language, ""),
                    bars=[Bar(b["label"][language], b["value"], _bar_text(entry, b["value"])) for b in entry["bars"]],
                    percent=(computed and entry["figure_kind"] == dashboard.SHARE)
                    or (not computed and entry.get("unit") == PERCENT),
                )
            )
        paragraphs = [p.strip() for p in goal["narrative"][language].split("\n\n") if p.strip()]
        shown_goals.append(ShownGoal(goal["title"][language], paragraphs, shown))
    return ShownPage(data["year"], shown_goals, result.data_version, result.definitions_version, result.published_at)


def _date_text(iso: str) -> str:
    return formats.date_format(date.fromisoformat(iso), "j F Y") if iso else ""


def indicator_of(page: ShownPage, number: int) -> ShownIndicator | None:
    for goal in page.goals:
        for indicator in goal.indicators:
            if indicator.number == number:
                return indicator
    return None
