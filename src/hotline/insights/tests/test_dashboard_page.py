"""The statistics dashboard: who may open it, a refused period, the figures of the demo history with their
comparisons, every figure's link to its definition, the campaign figures and up to when figures are counted."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from hotline.insights import definitions, demo
from hotline.insights.services import rollups
from hotline.staff.factories import staff_user

pytestmark = pytest.mark.django_db


def english(client: Client) -> Client:
    client.cookies["hotline_language"] = "en"
    return client


def row(html: str, code: str) -> list[str]:
    """The cells of one key figure's row, as text."""
    found = re.search(rf'<tr data-figure="{code}">(.*?)</tr>', html, re.S)
    assert found, f"no row {code}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found.group(1), re.S)
    ]


@pytest.mark.parametrize(("role", "status"), [("statistician", 200), ("supervisor", 200), ("admin", 200)])
def test_the_statistics_roles_open_the_dashboard(role: str, status: int, staff_client: Any) -> None:
    response = staff_client(role).get("/insights/")
    assert response.status_code == status
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("role", ["analyst", "campaigner", "police_liaison", "coalition_liaison"])
def test_other_roles_get_the_projects_403(role: str, staff_client: Any) -> None:
    client = staff_client(role)
    for path in ("/insights/", "/insights/charts/verdicts.svg", "/insights/definitions/"):
        response = client.get(path)
        assert response.status_code == 403, path
    assert "You do not have access to this page." in english(client).get("/insights/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/insights/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("unit=custom&from=2025-02-01&to=2025-01-01", "The last day of the period comes before its first day."),
        ("unit=custom&from=2025-02-01", "A custom period needs both a first day"),
        ("unit=quarter&year=2025&quarter=9", "Quarter"),
        ("unit=week", "Period"),
        ("year=twenty", "Year"),
    ],
)
def test_a_bad_period_shows_the_form_and_the_refusal_in_words_with_400(
    query: str, words: str, staff_client: Any
) -> None:
    client = english(staff_client("statistician"))
    response = client.get(f"/insights/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This period cannot be shown:" in html and words in html
    assert 'form method="get" action="/insights/"' in html
    assert client.get(f"/insights/charts/verdicts.svg?{query}").status_code == 400


def test_a_post_is_refused(staff_client: Any) -> None:
    assert staff_client("statistician").post("/insights/").status_code == 405


def test_the_demo_history_gives_the_seed_figures_with_their_comparisons(staff_client: Any) -> None:
    staff_user("analyst", email=demo.ANALYST)
    demo.load(io.StringIO())
    first, second = demo.history_years()
    client = english(staff_client("statistician"))

    html = client.get(f"/insights/?unit=quarter&year={second}&quarter=1").content.decode()
    reports = row(html, "reports")
    # Figure, this period, a year earlier, ratio, difference, the period before, ratio, difference.
    assert reports[1:5] == ["120", "40", "×3.0", "+80"]
    assert reports[5] == "65"  # quarter 4 of the first year
    assert reports[6:] == ["×1.8", "+55"]
    assert f"quarter 1 of {second}" in html and f"quarter 1 of {first}" in html

    html = client.get(f"/insights/?unit=year&year={second}").content.decode()
    assert row(html, "nexus_cases")[1] == "100"
    assert row(html, "nexus_from_partner_hotlines")[1] == "79"
    share = row(html, "nexus_partner_share")
    assert share[1] == "79 %" and share[2] == "63 %"  # 25 of 40 the first year, half up
    assert share[3] == "" and share[4] == "+17 percentage points"

    with translation.override("sv"):
        client.cookies["hotline_language"] = "sv"
        html = client.get(f"/insights/?unit=quarter&year={second}&quarter=1").content.decode()
    assert row(html, "reports")[1:5] == ["120", "40", "×3,0", "+80"]


def test_shares_without_a_whole_say_no_data_never_0_percent(staff_client: Any) -> None:
    html = english(staff_client("statistician")).get("/insights/?unit=year&year=2020").content.decode()
    for code in ("illegal_share", "nexus_partner_share", "removed_fast_share"):
        cells = row(html, code)
        assert cells[1] == "no data" and cells[2] == "no data", code
    assert re.search(r">\s*0 %", html) is None
    assert row(html, "median_assessment")[1] == "no data"


def test_every_figure_links_to_a_definition_that_exists(staff_client: Any) -> None:
    client = english(staff_client("statistician"))
    html = client.get("/insights/").content.decode()
    anchors = set(re.findall(r'href="/insights/definitions/#([a-z0-9-]+)"', html))
    figure_rows = re.findall(r'<tr data-figure="[^"]+"><th scope="row"><a href="([^"]+)"', html)
    assert len(figure_rows) == html.count("<tr data-figure=") >= 25
    page = client.get(definitions.STAFF_DEFINITIONS_PATH).content.decode()
    assert sorted(a for a in anchors if f'id="{a}"' not in page) == []
    assert {"reports", "nexus", "partner-share", "durations", "signatures", "subscribers"} <= anchors


def test_figures_are_counted_up_to_the_last_refresh(staff_client: Any) -> None:
    from hotline.cases.factories import store_report

    client = english(staff_client("statistician"))
    assert "The figures have not been counted yet." in client.get("/insights/").content.decode()
    store_report("https://files.example.test/a/1")
    rollups.refresh()
    html = client.get("/insights/").content.decode()
    assert "Figures up to " in html
    assert row(html, "reports")[1] == "1"


def test_signatures_and_subscribers_of_the_period(staff_client: Any) -> None:
    from hotline.campaigns.factories import make_petition, signature_row
    from hotline.campaigns.models import Signature, SignatureState, Subscriber

    petition = make_petition()
    in_march = timezone.make_aware(datetime(2025, 3, 10, 12, 0))
    in_april = timezone.make_aware(datetime(2025, 4, 1, 0, 30))  # April in Stockholm, still March in UTC
    Signature.objects.bulk_create(
        [
            signature_row(petition, "a@example.test", state=SignatureState.CONFIRMED, confirmed_at=in_march),
            signature_row(petition, "b@example.test", state=SignatureState.CONFIRMED, confirmed_at=in_march),
            signature_row(
                petition,
                "c@example.test",
                state=SignatureState.INVALIDATED,
                confirmed_at=in_march,
                invalidated_at=in_april,
            ),
            signature_row(petition, "d@example.test", state=SignatureState.PENDING),
            signature_row(petition, "e@example.test", state=SignatureState.CONFIRMED, confirmed_at=in_april),
        ]
    )
    for n, (confirmed, unsubscribed) in enumerate([(in_march, None), (in_march, in_april), (None, None)]):
        Subscriber.objects.create(
            email=f"s{n}@example.test", email_index=f"i{n}", token=f"t{n}", confirmed_at=confirmed,
            unsubscribed_at=unsubscribed,
        )  # fmt: skip
    html = english(staff_client("statistician")).get("/insights/?unit=month&year=2025&month=3").content.decode()
    assert row(html, "signatures")[1] == "2"
    assert row(html, "subscribers")[1] == "1"
    april = english(staff_client("supervisor")).get("/insights/?unit=month&year=2025&month=4").content.decode()
    assert row(april, "signatures")[1:3] == ["1", "0"]
    assert row(april, "signatures")[5:] == ["2", "×0.5", "\u22121"]  # against March, the period before


def test_the_page_shows_a_chart_image_and_a_data_table_for_each_chart(staff_client: Any) -> None:
    from hotline.insights import charts

    html = english(staff_client("statistician")).get("/insights/?unit=year&year=2025").content.decode()
    for name in charts.CHARTS:
        assert f'<img src="/insights/charts/{name}.svg?unit=year&amp;year=2025"' in html
    assert html.count("<caption>") >= len(charts.CHARTS) or "no data in this period." in html
    assert 'alt="Chart: ' in html
