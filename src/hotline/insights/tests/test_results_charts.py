"""The results page's charts and PDF drawn from a snapshot alone: a falling figure (a negative difference), a
missing value and a percentage all render; the SVG carries no script and its policy allows only its own style."""

from __future__ import annotations

import io
from datetime import datetime

from django.utils import timezone, translation
from pypdf import PdfReader

from hotline.insights import results_charts, results_pdf
from hotline.insights.selectors.results import Bar, ShownGoal, ShownIndicator, ShownPage


def indicator(bars: list[Bar], *, value_text: str = "−5 percentage points") -> ShownIndicator:
    return ShownIndicator(
        number=1, label="Share removed fast", kind="computed", value_text=value_text, detail="", definition="",
        source="", source_date="", source_date_text="", target_text="", bars=bars, percent=True,
    )  # fmt: skip


def test_a_negative_and_a_missing_value_draw() -> None:
    falling = indicator([Bar("2024", 0.8, "80 %"), Bar("2025", -0.05, "−5 %")])
    svg = results_charts.render(falling)
    assert svg.text.startswith("<svg") and "<script" not in svg.text
    assert svg.policy.startswith("default-src 'none'; style-src 'sha256-")
    with translation.override("en"):
        empty = results_charts.render(indicator([Bar("2025", None, "no data")], value_text="no data"))
    assert "No data" in empty.text


def test_the_pdf_of_a_snapshot_page_has_its_texts() -> None:
    page = ShownPage(
        year=2025,
        goals=[
            ShownGoal(
                "Faster removal", ["A paragraph."], [indicator([Bar("2024", 0.8, "80 %"), Bar("2025", -0.05, "−5 %")])]
            )
        ],
        data_version=42,
        definitions_version="2026-12",
        published_at=timezone.make_aware(datetime(2026, 1, 15, 12, 0)),
    )
    body = results_pdf.render(page, language="en", organisation="Example hotline")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "Faster removal" in text and "−5 percentage points" in text and "data version 42" in text
