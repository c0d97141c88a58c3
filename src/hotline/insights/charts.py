"""The dashboard's charts as SVG images made on the server with pygal: no JavaScript, no inline script, one
stylesheet whose hash is the image's own Content-Security-Policy (docs/statistics.md#dashboard)."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET  # nosec B405  # only serialises pygal's own tree; nothing is parsed
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pygal
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pygal.style import Style

from hotline.insights.selectors import tables
from hotline.insights.selectors.figures import DAILY_UP_TO_DAYS, REMOVAL_BANDS, Figures

WIDTH, HEIGHT = 760, 360
# Okabe and Ito's palette: told apart also with the common colour-vision deficiencies.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#6e7781",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    # Printed values stand beyond the end of their bar, on the white background, in the text colour: inside a bar,
    # pygal's white or black on the bar's own colour was hard to read, and a short bar's value spilled onto white.
    value_colors=("#1f2328",) * len(COLOURS),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', sans-serif",
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=12,
)
TOP_COUNTRIES = 10


@dataclass(frozen=True)
class Chart:
    name: str  # its address: /insights/charts/<name>.svg
    title: object  # lazy translation
    table: str  # the data table under it (selectors/tables.py)
    draw: Callable[[Figures], pygal.graph.graph.Graph]


def _options(title: str, **more: object) -> dict[str, object]:
    return {
        "title": title,
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": True,
        "disable_xml_declaration": True,
        "no_prefix": True,  # one chart per image: the same figures give the same bytes
        "js": [],
        "show_legend": True,
        "legend_at_bottom": True,
        "print_values": False,
        "no_data_text": _("No data"),
        "truncate_legend": -1,
        "truncate_label": -1,
        "margin": 16,
        **more,
    }


def _horizontal(title: str, labels: list[str], values: list[int], series: str) -> pygal.HorizontalBar:
    chart = pygal.HorizontalBar(**_options(title, show_legend=False, print_values=True, print_values_position="top"))
    # pygal draws the first label at the bottom: reversed, the largest is on top, as in the table.
    chart.x_labels = list(reversed(labels))
    if values:
        chart.add(series, list(reversed(values)))
    return chart


def _sorted(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def reports_over_time(f: Figures) -> pygal.StackedBar:
    period = f.period
    daily = period.days <= DAILY_UP_TO_DAYS
    buckets: dict[date, dict[str, int]] = {}
    for day, per_channel in f.reports_over_time.items():
        key = day if daily else day.replace(day=1)
        bucket = buckets.setdefault(key, {})
        for channel, n in per_channel.items():
            bucket[channel] = bucket.get(channel, 0) + n
    chart = pygal.StackedBar(
        **_options(
            str(_("Reports per day by channel") if daily else _("Reports per month by channel")),
            x_label_rotation=-45 if daily else 0,
            show_minor_x_labels=False,
        )
    )
    keys = sorted(buckets)
    if daily and keys:
        keys = [period.start.fromordinal(n) for n in range(period.start.toordinal(), period.end.toordinal() + 1)]
    chart.x_labels = [date_format(k, "j/n" if daily else "M Y") for k in keys]
    chart.x_labels_major_every = 7 if daily else None
    channels = sorted({c for per_day in f.reports_over_time.values() for c in per_day})
    for channel in channels:
        chart.add(tables.channel_name(channel), [buckets.get(k, {}).get(channel, 0) for k in keys])
    return chart


def verdicts(f: Figures) -> pygal.HorizontalBar:
    rows = _sorted(f.verdict_mix)
    return _horizontal(
        str(_("Assessed cases by verdict")),
        [tables.verdict_name(v) for v, _n in rows],
        [n for _v, n in rows],
        _("Cases"),
    )


def hosting_countries(f: Figures) -> pygal.HorizontalBar:
    rows = _sorted(f.hosting_countries)
    top, rest = rows[:TOP_COUNTRIES], rows[TOP_COUNTRIES:]
    labels = [tables.country_name(c) for c, _n in top]
    values = [n for _c, n in top]
    if rest:
        labels.append(_("Other countries"))
        values.append(sum(n for _c, n in rest))
    return _horizontal(str(_("Illegal cases by hosting country")), labels, values, _("Cases"))


def nexus_by_source(f: Figures) -> pygal.HorizontalBar:
    rows = _sorted(f.nexus_by_channel)
    return _horizontal(
        str(_("National-link cases by source channel")),
        [tables.channel_name(c) for c, _n in rows],
        [n for _c, n in rows],
        _("Cases"),
    )


def removal_times(f: Figures) -> pygal.Bar:
    chart = pygal.Bar(
        **_options(
            str(_("Time from first report to removal")),
            show_legend=False,
            print_values=True,
            print_values_position="top",
        )
    )
    chart.x_labels = [str(tables.BAND_NAMES[band]) for band, _upper in REMOVAL_BANDS]
    if f.removed:
        chart.add(_("Cases"), [f.removal_distribution.get(band, 0) for band, _upper in REMOVAL_BANDS])
    return chart


CHARTS: dict[str, Chart] = {
    chart.name: chart
    for chart in (
        Chart(
            "reports-over-time", gettext_lazy("Reports over time by channel"), "reports-over-time", reports_over_time
        ),
        Chart("verdicts", gettext_lazy("Verdict mix"), "verdicts", verdicts),
        Chart("hosting-countries", gettext_lazy("Hosting countries"), "hosting-countries", hosting_countries),
        Chart("nexus-by-source", gettext_lazy("National-link cases by source"), "nexus-by-channel", nexus_by_source),
        Chart("removal-times", gettext_lazy("Time to removal"), "removal-times", removal_times),
    )
}


@dataclass(frozen=True)
class Svg:
    text: str
    policy: str  # the image's own Content-Security-Policy


def _without(root: ET.Element, drop: Callable[[ET.Element], bool]) -> None:
    for parent in root.iter():
        for child in [c for c in parent if drop(c)]:
            parent.remove(child)


def _interactive_only(element: ET.Element) -> bool:
    """What only pygal's JavaScript uses (and no image shows): scripts, tooltips, the values kept for them."""
    tag = element.tag if isinstance(element.tag, str) else "comment"
    return (
        tag in {"script", "desc", "comment"}
        or "tooltip" in element.get("class", "").split()
        or "tooltip-overlay" in element.get("class", "")
    )


def render(name: str, f: Figures) -> Svg:
    """The chart `name` for the figures `f`, in the active language (KeyError for no such chart)."""
    root = CHARTS[name].draw(f).render_tree()
    _without(root, _interactive_only)
    styles = [element.text or "" for element in root.iter("style")]
    text = ET.tostring(root, encoding="unicode")
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'" for css in styles)
    allowed = hashes or "'none'"
    policy = f"default-src 'none'; style-src {allowed}; frame-ancestors 'none'"
    return Svg(text, policy)
