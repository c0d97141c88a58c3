"""The dashboard's charts: SVG images with their own strict policy (no script, only their own stylesheet by
hash), labels in the active language, and the definitions pages at the addresses every figure links to."""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hotline.insights import charts, definitions
from hotline.insights.definitions_page import definitions_html
from hotline.insights.selectors import dashboard
from hotline.insights.selectors.figures import Figures, quarter

ANCHORS = (
    "reports",
    "urls",
    "repeat-urls",
    "cases",
    "assessed",
    "illegal",
    "duplicates",
    "nexus",
    "partner-share",
    "durations",
    "removed-within-3-days",
    "notices",
    "repeated-notices",
    "escalated",
    "failures",
    "hash-matches",
    "signatures",
    "subscribers",
    "hosting-country",
    "verdicts",
    "periods",
)


def sample() -> Figures:
    return Figures(
        period=quarter(2025, 1),
        reports=5,
        verdict_mix={"csam_baseline": 5, "not_csam": 2},
        hosting_countries={"NL": 3, "US": 1, "SE": 1},
        nexus_by_channel={"network": 3, "web": 1},
        removed=3,
        removal_distribution={"within_1_day": 2, "1_to_3_days": 1},
        reports_over_time={date(2025, 1, 3): {"web": 2, "network": 1}, date(2025, 2, 3): {"web": 2}},
    )


@pytest.mark.parametrize("name", list(charts.CHARTS))
def test_each_chart_is_an_svg_without_script_whose_policy_allows_only_its_own_style(name: str) -> None:
    svg = charts.render(name, sample())
    root = ET.fromstring(svg.text)
    assert root.tag.endswith("svg") and root.get("width") == str(charts.WIDTH)
    assert "<script" not in svg.text and "href=" not in svg.text and "style=" not in svg.text
    styles = [el.text or "" for el in root.iter() if el.tag.endswith("style")]
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert svg.policy == f"default-src 'none'; style-src 'sha256-{digest}'; frame-ancestors 'none'"


def test_chart_labels_are_in_the_active_language() -> None:
    with translation.override("sv"):
        swedish = charts.render("hosting-countries", sample()).text
        verdicts = charts.render("verdicts", sample()).text
    with translation.override("en"):
        english = charts.render("hosting-countries", sample()).text
    assert "Nederländerna" in swedish and "Netherlands" in english
    assert "Olagliga ärenden per värdland" in swedish or "värdland" in swedish.lower()
    assert "csam_baseline" not in verdicts


def test_a_chart_without_data_says_so() -> None:
    with translation.override("en"):
        text = charts.render("removal-times", Figures(period=quarter(2025, 1))).text
    assert "No data" in text


@pytest.mark.django_db
def test_the_chart_responses_are_svg_with_their_own_policy(staff_client: Any) -> None:
    client = staff_client("statistician")
    for name in charts.CHARTS:
        response = client.get(f"/insights/charts/{name}.svg?unit=quarter&year=2025&quarter=1")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
        policy = response["Content-Security-Policy"]
        assert policy.startswith("default-src 'none'; style-src 'sha256-") and "script" not in policy
        assert "unsafe" not in policy
        assert response["Cache-Control"] == "no-store"  # the project's one header for every dynamic response
        ET.fromstring(response.content)
    assert client.get("/insights/charts/nothing.svg").status_code == 404


def test_formatting_of_figures_and_comparisons() -> None:
    with translation.override("en"):
        assert dashboard.format_duration(3 * 3600 + 15 * 60) == "3 h 15 min"
        assert dashboard.format_duration(42 * 60 + 30) == "42 min"
        assert dashboard.format_duration(0) == "0 min"
        assert dashboard.format_duration(4 * 86400 + 6 * 3600) == "4 d 6 h"
        assert dashboard.format_duration(45 * 86400 + 6 * 3600) == "45 d"
        assert dashboard.format_duration(None) == "no data"
        assert dashboard.format_ratio(dashboard.ratio(120, 40)) == "×3.0"
        assert dashboard.ratio(5, 0) is None and dashboard.ratio(None, 3) is None
        assert dashboard.format_ratio(None) == "no data"
        assert dashboard.format_difference(dashboard.difference(120, 40), dashboard.COUNT) == "+80"
        assert dashboard.format_difference(dashboard.difference(3, 8), dashboard.COUNT) == "\u22125"
        assert dashboard.format_difference(0, dashboard.COUNT) == "±0"
        assert dashboard.format_difference(0.79 - 0.625, dashboard.SHARE) == "+17 percentage points"
        assert dashboard.format_difference(-3600, dashboard.DURATION) == "\u22121 h"
        assert dashboard.format_share(0.625) == "63 %" and dashboard.format_share(None) == "no data"
        assert dashboard.format_share(0) == "0 %"  # a real 0 (a whole with no part) is 0 %
        assert dashboard.format_count(12345) == "12,345"
        assert dashboard.compare(0.79, 0.625, dashboard.SHARE).ratio == ""
        assert dashboard.compare(120, None, dashboard.COUNT) == dashboard.Comparison("no data", "no data", "no data")
    with translation.override("sv"):
        assert dashboard.format_duration(3 * 3600 + 15 * 60) == "3 h 15 min"
        assert dashboard.format_ratio(3.0) == "×3,0"
        assert dashboard.format_share(None) == "inga uppgifter"
        assert dashboard.format_difference(0.1, dashboard.SHARE) == "+10 procentenheter"


def test_the_definitions_pages_are_where_every_figure_links() -> None:
    assert reverse("insights:definitions") == definitions.STAFF_DEFINITIONS_PATH
    assert reverse("insights:public_definitions") == definitions.PUBLIC_DEFINITIONS_PATH
    assert reverse("insights:dashboard") == "/insights/"


def test_the_definitions_keep_every_anchor_and_only_safe_html(tmp_path: Any) -> None:
    html = str(definitions_html())
    for anchor in ANCHORS:
        assert f'id="{anchor}"' in html, anchor
    assert '<code translate="no">HOTLINE_TIME_ZONE</code>' in html
    source = tmp_path / "statistics.md"
    source.write_text(
        '# T\n\n## Reports {#reports}\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b onclick="x">b</b>\n'
    )
    made = str(definitions_html(source))
    assert '<h3 id="reports">Reports</h3>' in made
    assert "<script" not in made and "javascript:" not in made and "onclick" not in made
    assert str(definitions_html(tmp_path / "missing.md")) == ""


@pytest.mark.django_db
def test_the_public_definitions_need_no_sign_in_and_the_staff_ones_do(client: Client, staff_client: Any) -> None:
    client.cookies["hotline_language"] = "en"
    public = client.get(definitions.PUBLIC_DEFINITIONS_PATH)
    assert public.status_code == 200
    body = public.content.decode()
    assert 'id="partner-share"' in body and "Staff home" not in body
    assert re.search(r'<div class="definitions" lang="en">', body)
    staff = client.get(definitions.STAFF_DEFINITIONS_PATH)
    assert staff.status_code == 302
    assert staff_client("statistician").get(definitions.STAFF_DEFINITIONS_PATH).status_code == 200
