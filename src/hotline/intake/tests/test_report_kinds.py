"""The form fits the kind of report (issue 13, point 4): each kind with its plain-language line, then only the
questions that fit it; a situation's place, time and people reach the analyst in the report's description."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from hotline.cases.models import Report
from hotline.intake.tests.test_public_pages import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def visible_sections(html: str) -> set[str]:
    """The data-kinds of the sections shown (not hidden) on the page."""
    return {
        kinds
        for kinds, hidden in re.findall(r'class="kind-section" data-kinds="([^"]+)"( hidden)?', html)
        if not hidden
    }


def test_the_form_asks_what_happened_first_with_a_line_for_each_kind(client: Client) -> None:
    client.cookies["hotline_language"] = "en"
    html = client.get("/report/").content.decode()
    assert html.index("What happened?") < html.index('id="id_url_1"')
    for hint in (
        "to get sexual contact with them",
        "threatens to spread sexual pictures",
        "travels, at home or abroad",
    ):
        assert hint in html
    # Material first: the addresses are shown, the situation's questions are not.
    assert "online_material sextortion other" in visible_sections(html)
    assert "trafficking grooming travelling_offender sextortion" not in visible_sections(html)


@pytest.mark.parametrize("kind", ["trafficking", "grooming", "travelling_offender"])
def test_a_situation_gets_its_own_questions_without_javascript_and_no_material_wording(
    client: Client, kind: str
) -> None:
    client.cookies["hotline_language"] = "en"
    response = client.post("/report/", form_data(kind=kind, action="choose", description="Kept."))
    html = response.content.decode()
    assert response.status_code == 200 and Report.objects.count() == 0
    assert visible_sections(html) == {"trafficking grooming travelling_offender sextortion"}
    assert "What is happening?" in html and "Kept." in html and f'value="{kind}" aria-describedby' in html
    shown = re.sub(r'<div class="kind-section"[^>]*hidden>.*?</div>\n', "", html, flags=re.S)
    shown = re.sub(r"<span hidden data-description-texts[^>]*></span>", "", shown)  # the script's texts
    questions = shown.split('class="show-questions"', 1)[1].split("</form>", 1)[0].lower()
    assert "material" not in questions and "picture" not in questions  # no wording about material here


def test_a_situations_place_time_and_people_reach_the_description(client: Client) -> None:
    client.cookies["hotline_language"] = "en"
    data = form_data(
        kind="trafficking",
        description="A girl is brought to a flat every evening.",
        situation_place="A town in the north",
        situation_time="Every evening since May",
        situation_people="A man of about 40, a girl of about 14",
    )
    response = client.post("/report/", data, follow=True)
    assert response.status_code == 200 and "Thank you for telling us" in response.content.decode()
    report = Report.objects.get()
    assert report.kind == "trafficking"
    assert report.description == (
        "A girl is brought to a flat every evening.\nVar: A town in the north\nNär: Every evening since May\n"
        "Vem: A man of about 40, a girl of about 14"
    )


def test_the_smallest_report_is_still_one_address_and_send(client: Client) -> None:
    """Home -> "Make a report" -> the address typed -> send: the form needs nothing more."""
    assert 'href="/report/"' in client.get("/").content.decode()
    # What the browser sends for the untouched form with one address typed (the defaults come checked).
    response = client.post("/report/", form_data(url_1="https://small.example.test/x"), follow=True)
    assert response.status_code == 200 and 'id="receipt"' in response.content.decode()
