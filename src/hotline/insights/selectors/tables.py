"""The dashboard's tables as plain data (a title, column headings, rows) for a period: what the exports, the JSON
API and the dashboard's own data tables show. Headings and row labels are words; where a machine reader needs
the code (a country, a channel, a verdict), it has its own column beside the words."""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import pycountry
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from hotline.cases.models import Channel, Verdict
from hotline.insights.selectors.figures import REMOVAL_BANDS, Figures, Period, figures

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    name: str  # the table's address: /insights/export/<name>.csv
    title: str
    headings: list[str]
    rows: list[list[Cell]]
    anchor: str = ""  # docs/statistics.md#<anchor>, the definition of what is counted
    # Column keys for machine readers (the JSON API): stable, English, snake_case.
    keys: list[str] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]


@lru_cache(maxsize=8)
def _iso3166(language: str) -> gettext_module.NullTranslations:
    return gettext_module.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(code: str) -> str:
    """The country's name in the current language ("Unknown" for no code, the code itself if unknown)."""
    if not code:
        return _("Unknown")
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return _iso3166((get_language() or "en").split("-")[0]).gettext(country.name)


def channel_name(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else code


def verdict_name(code: str) -> str:
    return str(Verdict(code).label) if code in Verdict.values else code


BAND_NAMES = {
    "within_1_day": gettext_lazy("Within 1 day"),
    "1_to_3_days": gettext_lazy("1 to 3 days"),
    "3_to_7_days": gettext_lazy("3 to 7 days"),
    "7_to_30_days": gettext_lazy("7 to 30 days"),
    "over_30_days": gettext_lazy("Over 30 days"),
}


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def key_figures(f: Figures) -> Table:
    rows: list[list[Cell]] = [
        ["reports", _("Reports received"), f.reports],
        ["urls", _("URLs reported"), f.urls],
        ["repeat_urls", _("Repeat URLs"), f.repeat_urls],
        ["cases", _("Cases"), f.cases],
        ["assessed", _("Cases assessed"), f.assessed],
        ["illegal", _("Cases assessed as illegal"), f.illegal],
        ["illegal_share", _("Share of assessed cases that were illegal"), _share(f.illegal_share)],
        ["duplicates", _("Duplicates"), f.duplicates],
        ["hash_matches", _("Hash matches"), f.hash_matches],
        ["police", _("Cases sent to the police"), f.police],
        ["noticed", _("Cases with a notice sent"), f.noticed],
        ["notices", _("Notices sent"), f.notices],
        ["repeated_notices", _("Repeated notices"), f.repeated_notices],
        ["escalated", _("Escalations"), f.escalated],
        ["failures", _("Failed deliveries"), f.failures],
        ["removed", _("Cases removed"), f.removed],
        ["removed_within_3_days", _("Removed within 3 days"), f.removed_within_3_days],
        ["removed_fast_share", _("Share of removed cases removed within 3 days"), _share(f.removed_fast_share)],
        ["nexus_cases", _("Illegal cases with a national link"), f.nexus_cases],
        ["nexus_partner_share", _("Share of national-link cases from partner hotlines"), _share(f.nexus_partner_share)],
        ["median_seconds_assessment", _("Median time to assessment (seconds)"), f.median_seconds.get("assessment")],
        ["median_seconds_police", _("Median time to the police (seconds)"), f.median_seconds.get("police")],
        ["median_seconds_removal", _("Median time to removal (seconds)"), f.median_seconds.get("removal")],
        ["p90_seconds_removal", _("90th percentile of time to removal (seconds)"), f.p90_seconds.get("removal")],
    ]
    return Table(
        "key-figures",
        _("Key figures"),
        [_("Code"), _("Figure"), _("Value")],
        rows,
        anchor="reports",
        keys=["code", "figure", "value"],
    )


def _by_code(
    name: str, title: str, counts: dict[str, int], namer: Callable[[str], str], heading: str, anchor: str
) -> Table:
    rows: list[list[Cell]] = [
        [code, namer(code), n] for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return Table(name, title, [_("Code"), heading, _("Number")], rows, anchor=anchor, keys=["code", "name", "count"])


def _partners(name: str, title: str, counts: dict[str, int], anchor: str) -> Table:
    rows: list[list[Cell]] = [[p, n] for p, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return Table(name, title, [_("Partner"), _("Number")], rows, anchor=anchor, keys=["partner", "count"])


def removal_distribution(f: Figures) -> Table:
    rows: list[list[Cell]] = [
        [band, str(BAND_NAMES[band]), f.removal_distribution.get(band, 0)] for band, _upper in REMOVAL_BANDS
    ]
    return Table(
        "removal-times",
        _("Time from first report to removal"),
        [_("Code"), _("Time to removal"), _("Cases")],
        rows,
        anchor="durations",
        keys=["code", "band", "count"],
    )


def reports_over_time(f: Figures) -> Table:
    """Reports per day by channel, or per month for a long period (as its chart draws them)."""
    channels = sorted({c for per_key in f.reports_over_time.values() for c in per_key})
    rows: list[list[Cell]] = []
    for key in sorted(f.reports_over_time):
        per_key = f.reports_over_time[key]
        label = key.isoformat()[:7] if f.series_by_month else key.isoformat()
        rows.append([label, *(per_key.get(c, 0) for c in channels), sum(per_key.values())])
    return Table(
        "reports-over-time",
        _("Reports per month") if f.series_by_month else _("Reports per day"),
        [_("Month") if f.series_by_month else _("Day"), *(channel_name(c) for c in channels), _("All channels")],
        rows,
        anchor="reports",
        keys=["month" if f.series_by_month else "day", *channels, "total"],
    )


# Every table, by its address; each takes the period's figures.
BUILDERS: dict[str, Callable[[Figures], Table]] = {
    "key-figures": key_figures,
    "reports-by-channel": lambda f: _by_code(
        "reports-by-channel", _("Reports by channel"), f.reports_by_channel, channel_name, _("Channel"), "reports"
    ),
    "reports-by-partner": lambda f: _partners(
        "reports-by-partner", _("Reports by partner"), f.reports_by_partner, "reports"
    ),
    "verdicts": lambda f: _by_code(
        "verdicts", _("Assessed cases by verdict"), f.verdict_mix, verdict_name, _("Verdict"), "verdicts"
    ),
    "hosting-countries": lambda f: _by_code(
        "hosting-countries",
        _("Illegal cases by hosting country"),
        f.hosting_countries,
        country_name,
        _("Country"),
        "hosting-country",
    ),
    "nexus-by-channel": lambda f: _by_code(
        "nexus-by-channel",
        _("National-link cases by source channel"),
        f.nexus_by_channel,
        channel_name,
        _("Channel"),
        "nexus",
    ),
    "nexus-by-partner": lambda f: _partners(
        "nexus-by-partner", _("National-link cases by partner hotline"), f.nexus_by_partner, "partner-share"
    ),
    "removal-times": removal_distribution,
    "reports-over-time": reports_over_time,
}
TABLE_NAMES = tuple(BUILDERS)


def dashboard_tables(period: Period, *, of: Figures | None = None) -> list[Table]:
    """Every table of the dashboard for `period` (pass `of` when the figures are already read)."""
    f = of if of is not None else figures(period)
    return [build(f) for build in BUILDERS.values()]


def table(name: str, period: Period) -> Table:
    """One table by its address (KeyError if there is no such table)."""
    return BUILDERS[name](figures(period))
