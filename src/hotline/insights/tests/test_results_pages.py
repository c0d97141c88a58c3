"""The goals and results pages: the staff pages (who may see and change what, publishing asked once more, words
not codes) and the public page of a published year in Swedish and English, its charts and its PDF, shown from
the frozen snapshot only (a reassessment after publishing changes neither), and the demo's seed figures."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import Assessment, AssessmentStatus
from hotline.insights import demo, results_demo
from hotline.insights.models import Goal, Indicator, PublishedResult
from hotline.insights.services import results, rollups
from hotline.staff.factories import staff_user

pytestmark = pytest.mark.django_db


def in_language(client: Client, language: str) -> Client:
    client.cookies["hotline_language"] = language
    return client


def text_of(html: str) -> str:
    body = html.split("<main", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("\xa0", " ").replace("&nbsp;", " ")


def main_of(html: str) -> str:
    """The page's own content (the page around it carries a form token that changes with time)."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages)).replace("\xa0", " ")


@pytest.fixture
def demo_page() -> int:
    staff_user("analyst", email=demo.ANALYST)
    staff_user("supervisor", "analyst", email=results_demo.SUPERVISOR)
    demo.load(io.StringIO())
    out = io.StringIO()
    results_demo.load(out)
    assert "published" in out.getvalue()
    return demo.history_years()[1]


# --- staff pages ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["statistician", "supervisor", "admin"])
def test_statistics_roles_see_the_staff_pages(role: str, staff_client: Any, demo_page: int) -> None:
    client = in_language(staff_client(role), "en")
    listing = client.get("/insights/results/")
    assert listing.status_code == 200 and str(demo_page) in listing.content.decode()
    year = client.get(f"/insights/results/{demo_page}/").content.decode()
    assert "Tips in the first quarter against a year earlier" in year
    assert "Computed: Reports received, quarter 1 (against the same period a year earlier)" in year
    assert "from 4 % to 8 %" in year.replace("\xa0", " ")
    assert "nexus_partner_share" not in text_of(year)  # words, not codes
    can_publish = f'action="/insights/results/{demo_page}/publish/"' in year
    assert can_publish == (role == "supervisor")


@pytest.mark.parametrize("role", ["analyst", "campaigner"])
def test_other_roles_are_refused(role: str, staff_client: Any) -> None:
    client = staff_client(role)
    assert client.get("/insights/results/").status_code == 403
    assert client.post("/insights/results/2025/publish/", {"confirmed": "yes"}).status_code == 403


def test_a_statistician_may_not_write(staff_client: Any) -> None:
    client = staff_client("statistician")
    response = client.post("/insights/results/new/", {"year": 2025, "title_sv": "Mål", "title_en": "Goal"})
    assert response.status_code == 403 and not Goal.objects.exists()


def test_a_supervisor_builds_and_publishes_a_year_through_the_forms(staff_client: Any) -> None:
    client = in_language(staff_client("supervisor"), "en")
    response = client.post("/insights/results/new/", {"year": 2025, "title_sv": "Mål", "title_en": "Goal"})
    assert response.status_code == 302 and response["Location"] == "/insights/results/2025/"
    goal = Goal.objects.get()
    response = client.post(
        f"/insights/results/goals/{goal.pk}/computed/",
        {f"c{goal.pk}-label_sv": "Tips", f"c{goal.pk}-label_en": "Tips", f"c{goal.pk}-figure": "reports",
         f"c{goal.pk}-quarter": "1", f"c{goal.pk}-year_earlier": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    refused = client.post(
        f"/insights/results/goals/{goal.pk}/manual/",
        {f"m{goal.pk}-label_sv": "Enkät", f"m{goal.pk}-label_en": "Survey", f"m{goal.pk}-value": "8"},
    )
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    response = client.post(
        f"/insights/results/goals/{goal.pk}/manual/",
        {f"m{goal.pk}-label_sv": "Enkät", f"m{goal.pk}-label_en": "Survey", f"m{goal.pk}-value": "8",
         f"m{goal.pk}-baseline": "4", f"m{goal.pk}-unit": "%", f"m{goal.pk}-source_sv": "Enkät",
         f"m{goal.pk}-source_en": "Survey", f"m{goal.pk}-source_date": "2025-03-01"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Indicator.objects.count() == 2
    assert client.get("/results/2025/").status_code == 404  # not published yet

    asked = client.post("/insights/results/2025/publish/")
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.content.decode()
    assert not PublishedResult.objects.exists()  # asked once more: nothing yet
    done = client.post("/insights/results/2025/publish/", {"confirmed": "yes"})
    assert done.status_code == 302 and PublishedResult.objects.get().published_by_id == client.user.pk
    assert client.get("/results/2025/").status_code == 200


def test_removing_an_indicator_is_asked_once_more(staff_client: Any) -> None:
    client = staff_client("supervisor")
    goal = results.create_goal(actor=client.user, goal_year=2025, text=results.GoalText("Mål", "Goal"))
    indicator = results.add_computed_indicator(
        actor=client.user, goal=goal, label_sv="Tips", label_en="Tips", figure="reports"
    )
    path = f"/insights/results/indicators/{indicator.pk}/remove/"
    assert client.post(path).status_code == 200 and Indicator.objects.exists()
    assert client.post(path, {"confirmed": "yes"}).status_code == 302 and not Indicator.objects.exists()


# --- public pages --------------------------------------------------------------------------------------------
def test_an_unpublished_year_is_not_found(client: Client) -> None:
    for path in ("/results/2025/", "/results/2025.pdf", "/results/2025/charts/1.svg"):
        assert client.get(path).status_code == 404, path


def test_the_demo_page_shows_the_seed_figures_in_both_languages(client: Client, demo_page: int) -> None:
    en = text_of(in_language(client, "en").get(f"/results/{demo_page}/").content.decode())
    for shown in ("×3.0", "79 %", "from 4 % to 8 %", "80", "400", "5,005", "More tips reach us", "79 of 100"):
        assert shown in en, shown
    assert "120 in quarter 1 of" in en and "against 40 in quarter 1 of" in en
    sv_response = in_language(Client(), "sv").get(f"/results/{demo_page}/")
    sv = text_of(sv_response.content.decode())
    for shown in ("×3,0", "79 %", "från 4 % till 8 %", "80", "400", "5 005", "Fler tips når oss"):
        assert shown in sv, shown
    assert 'href="/results/definitions/#reports"' in sv_response.content.decode()
    assert 'href="/results/definitions/#partner-share"' in sv_response.content.decode()


def test_the_demo_pdf_has_the_seed_figures(client: Client, demo_page: int) -> None:
    response = in_language(client, "en").get(f"/results/{demo_page}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for shown in ("×3.0", "79 %", "from 4 % to 8 %", "80", "400", "5,005", "Signatures handed to the minister"):
        assert shown in text, shown
    sv = pdf_text(in_language(Client(), "sv").get(f"/results/{demo_page}.pdf").content)
    assert "×3,0" in sv and "5 005" in sv and "Namnunderskrifter" in sv


def test_the_charts_are_svg_with_their_own_policy_and_no_script(client: Client, demo_page: int) -> None:
    response = client.get(f"/results/{demo_page}/charts/1.svg")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert "style-src 'sha256-" in response["Content-Security-Policy"]
    assert "<script" not in response.content.decode()
    assert client.get(f"/results/{demo_page}/charts/99.svg").status_code == 404
    page = client.get(f"/results/{demo_page}/").content.decode()
    assert "<script" not in page.split("<main", 1)[-1]
    assert page.count(f'src="/results/{demo_page}/charts/') == 6


def test_the_page_and_pdf_do_not_change_when_a_case_is_reassessed(client: Client, staff_client: Any) -> None:
    supervisor = staff_client("supervisor").user
    this_year = timezone.localdate().year
    cases = [make_assessed_case(path=f"/p/{n}") for n in range(4)]
    rollups.refresh()
    goal = results.create_goal(actor=supervisor, goal_year=this_year, text=results.GoalText("Mål", "Goal"))
    results.add_computed_indicator(
        actor=supervisor, goal=goal, label_sv="Olagliga", label_en="Illegal", figure="illegal"
    )
    results.publish(actor=supervisor, goal_year=this_year)
    page = main_of(in_language(client, "en").get(f"/results/{this_year}/").content.decode())
    pdf = pdf_text(client.get(f"/results/{this_year}.pdf").content)
    chart = client.get(f"/results/{this_year}/charts/1.svg").content
    assert "Illegal: 4" in text_of(page).replace(" : ", ": ")

    old = Assessment.objects.get(case=cases[0], status=AssessmentStatus.CONFIRMED)
    Assessment.objects.filter(pk=old.pk).update(status=AssessmentStatus.SUPERSEDED)
    Assessment.objects.create(case=cases[0], analyst=old.analyst, verdict="not_csam", kind=old.kind)
    rollups.refresh()
    from hotline.insights.selectors.figures import figures, year

    assert figures(year(this_year)).illegal == 3  # the data did change
    assert main_of(client.get(f"/results/{this_year}/").content.decode()) == page
    assert pdf_text(client.get(f"/results/{this_year}.pdf").content) == pdf
    assert client.get(f"/results/{this_year}/charts/1.svg").content == chart


def test_an_earlier_publication_is_shown_as_it_was(staff_client: Any) -> None:
    client = in_language(staff_client("statistician"), "en")
    supervisor = staff_user("supervisor", email="boss@example.test")
    goal = results.create_goal(actor=supervisor, goal_year=2025, text=results.GoalText("Mål", "First title"))
    first = results.publish(actor=supervisor, goal_year=2025)
    results.edit_goal(actor=supervisor, goal=goal, text=results.GoalText("Mål", "Second title"))
    results.add_manual_indicator(
        actor=supervisor, goal=goal, label_sv="Deltagare", label_en="Attendees", value=Decimal(80),
        source_sv="Seminarium", source_en="Seminar", source_date=date(2025, 4, 1),
    )  # fmt: skip
    second = results.publish(actor=supervisor, goal_year=2025)
    old = client.get(f"/insights/results/published/{first.pk}/").content.decode()
    assert "First title" in old and "Second title" not in old and "no longer shown to the public" in old
    new = client.get(f"/insights/results/published/{second.pk}/").content.decode()
    assert "Second title" in new and f'src="/insights/results/published/{second.pk}/charts/1.svg"' in new
    assert client.get(f"/insights/results/published/{second.pk}/charts/1.svg").status_code == 200
    assert client.get(f"/insights/results/published/{first.pk}/charts/1.svg").status_code == 404
    assert "Second title" in client.get("/results/2025/").content.decode()
    year = client.get("/insights/results/2025/").content.decode()
    assert f'href="/insights/results/published/{first.pk}/"' in year
