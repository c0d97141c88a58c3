"""The charts of a published results page: one pygal bar chart per indicator, drawn from the frozen snapshot only,
as an SVG image with its own Content-Security-Policy (the dashboard's style and clean-up, charts.py)."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET  # nosec B405  # only serialises pygal's own tree; nothing is parsed

import pygal

from hotline.insights import charts
from hotline.insights.selectors.results import ShownIndicator

WIDTH, HEIGHT = 640, 300


def draw(indicator: ShownIndicator) -> pygal.Bar:
    options = charts._options(indicator.label, show_legend=False, print_values=True, width=WIDTH, height=HEIGHT)
    chart = pygal.Bar(**options)
    chart.x_labels = [bar.label for bar in indicator.bars]
    known = [bar for bar in indicator.bars if bar.value is not None]
    if known:
        chart.value_formatter = lambda value: _text_of(indicator, value)
        chart.add(indicator.label, [bar.value for bar in indicator.bars])
        values = [bar.value for bar in known if bar.value is not None]
        low, high = min(0.0, *values), max(0.0, *values)
        chart.range = (low * 1.15, high * 1.15 if high > 0 else 1e-9)
    return chart


def _text_of(indicator: ShownIndicator, value: float | None) -> str:
    for bar in indicator.bars:
        if bar.value == value:
            return bar.text
    return ""


def render(indicator: ShownIndicator) -> charts.Svg:
    root = draw(indicator).render_tree()
    charts._without(root, charts._interactive_only)
    styles = [element.text or "" for element in root.iter("style")]
    text = ET.tostring(root, encoding="unicode")
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'" for css in styles)
    allowed = hashes or "'none'"
    policy = f"default-src 'none'; style-src {allowed}; frame-ancestors 'none'"
    return charts.Svg(text, policy)
