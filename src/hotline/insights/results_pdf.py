"""The PDF of a published results page (reportlab): the same goals, indicators, sources and figures as the web
page, each indicator with a bar chart drawn by reportlab.graphics, from the frozen snapshot only."""

from __future__ import annotations

import io
from html import escape

from django.utils import formats, translation
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from hotline.core import pdf_fonts
from hotline.insights.selectors.results import ShownIndicator, ShownPage

BLUE = colors.HexColor("#0072B2")


def _chart(indicator: ShownIndicator, font: str, width: float) -> Drawing | None:
    known = [bar for bar in indicator.bars if bar.value is not None]
    if not known:
        return None
    height = 55 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = width - 24 * mm, height - 18 * mm
    chart.data = [[bar.value or 0 for bar in indicator.bars]]
    values = [bar.value for bar in known if bar.value is not None]
    chart.valueAxis.valueMin = min(0.0, *values) * 1.2
    chart.valueAxis.valueMax = max(0.0, *values) * 1.2 or 1
    chart.valueAxis.visibleLabels = False
    chart.categoryAxis.categoryNames = [bar.label for bar in indicator.bars]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = lambda value: next((b.text for b in indicator.bars if b.value == value), "")
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


def render(page: ShownPage, *, language: str, organisation: str) -> bytes:
    regular, bold = pdf_fonts.fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=14, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12, textColor=colors.HexColor("#444444"))
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=18, leading=24, spaceAfter=8)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=14, leading=19, spaceBefore=10, spaceAfter=6)
    h3 = ParagraphStyle("h3", fontName=bold, fontSize=11, leading=15, spaceBefore=6, spaceAfter=2)
    buffer = io.BytesIO()
    with translation.override(language):
        title = _("Goals and results %(year)s") % {"year": page.year}
        document = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
            title=title, author=organisation, lang=language,
        )  # fmt: skip
        story: list = [Paragraph(escape(f"{organisation}: {title}"), h1)]
        for goal in page.goals:
            story.append(Paragraph(escape(goal.title), h2))
            story.extend(Paragraph(escape(paragraph), body) for paragraph in goal.narrative)
            for indicator in goal.indicators:
                story.append(Paragraph(escape(f"{indicator.label}: {indicator.value_text}"), h3))
                if indicator.detail:
                    story.append(Paragraph(escape(indicator.detail), body))
                if indicator.target_text:
                    story.append(Paragraph(escape(_("Target: %(target)s") % {"target": indicator.target_text}), body))
                if indicator.source:
                    source = _("Source: %(source)s, %(date)s") % {
                        "source": indicator.source,
                        "date": indicator.source_date_text,
                    }
                    story.append(Paragraph(escape(source), small))
                chart = _chart(indicator, regular, document.width)
                if chart is not None:
                    story.append(chart)
                    story.append(Spacer(1, 2 * mm))
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(escape(_published_line(page)), small))
        document.build(story)
    return buffer.getvalue()


def _published_line(page: ShownPage) -> str:
    return _("Published %(moment)s. Computed figures from data version %(data)s under definitions %(definitions)s.") % {
        "moment": formats.date_format(page.published_at, "j F Y"),
        "data": page.data_version,
        "definitions": page.definitions_version,
    }
