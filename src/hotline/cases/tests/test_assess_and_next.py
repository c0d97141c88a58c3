"""Assessing without scrolling back and forth (issue 13, point 11): "save and next case", the verdict keys
listed on the page, the hashes a report carries beside the form, and the two-column case page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseEvent, ExposureSession
from hotline.cases.rules import HashInput

pytestmark = pytest.mark.django_db

FORM = {"verdict": "not_csam", "kind": "online_material", "reasoning": "Adult material only."}
SHA = "ab" * 32


def _case(url: str, **kwargs: Any) -> Case:
    report = store_report(url, **kwargs)
    return Case.objects.get(pk=services.triage_report(report_id=report.pk).case_ids[0])


def _start(client: Any, case: Case) -> None:
    assert client.post(f"/cases/{case.pk}/assess/start/").status_code == 302


def test_save_and_next_releases_and_opens_the_next_case_without_claiming_it(staff_client: Any) -> None:
    first = _case("https://files.example.test/n/1")
    second = _case("https://files.example.test/n/2")
    client = staff_client("analyst")
    _start(client, first)
    response = client.post(
        f"/cases/{first.pk}/assess/", {**FORM, "version": Case.objects.get(pk=first.pk).version, "then": "next"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{second.pk}/"  # its case page: the next assessment starts by a POST
    first.refresh_from_db()
    assert first.claimed_by is None and first.assessments.count() == 1
    assert CaseEvent.objects.filter(case=first, kind="released").exists()
    # Opening the next case claims nothing and starts no exposure clock.
    client.get(response["Location"])
    second.refresh_from_db()
    assert second.claimed_by is None
    assert not ExposureSession.objects.filter(case=second, ended_at__isnull=True).exists()


def test_save_and_next_skips_a_case_a_colleague_holds_and_ends_at_the_queue(staff_client: Any, make_staff: Any) -> None:
    first = _case("https://files.example.test/m/1")
    held = _case("https://files.example.test/m/2")
    services.claim_case(case=held, analyst=make_staff("analyst"))
    client = staff_client("analyst")
    _start(client, first)
    response = client.post(
        f"/cases/{first.pk}/assess/", {**FORM, "version": Case.objects.get(pk=first.pk).version, "then": "next"}
    )
    assert response["Location"] == "/cases/"


def test_plain_save_keeps_the_case_page(staff_client: Any) -> None:
    case = _case("https://files.example.test/p/1")
    client = staff_client("analyst")
    _start(client, case)
    response = client.post(f"/cases/{case.pk}/assess/", {**FORM, "version": Case.objects.get(pk=case.pk).version})
    assert response["Location"] == f"/cases/{case.pk}/"


def test_the_form_lists_the_shortcuts_the_script_knows_and_shows_the_hashes(staff_client: Any) -> None:
    with transaction.atomic():
        report = store_report("https://files.example.test/h/1", description="Own image hashes.")
        services.store_report_hashes(report=report, hashes=[HashInput("sha256", SHA)], actor="public")
    case = Case.objects.get(pk=services.triage_report(report_id=report.pk).case_ids[0])
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    _start(client, case)
    body = client.get(f"/cases/{case.pk}/assess/").content.decode()
    assert 'name="then" value="next"' in body and "Save and next case" in body
    assert "Keyboard shortcuts" in body and "<kbd>1</kbd> Illegal everywhere" in body
    assert "verdict-keys.js" in body and "<script>" not in body  # a static file, no inline script (CSP)
    assert "Hashes the tips carry" in body and SHA in body
    script = (Path(services.__file__).parents[1] / "static" / "cases" / "verdict-keys.js").read_text()
    for key, verdict in (("1", "csam_baseline"), ("2", "csam_national"), ("4", "not_csam"), ("5", "unreachable")):
        assert f'"{key}": "{verdict}"' in script
        assert f'value="{verdict}"' in body


def test_the_case_page_has_two_columns_on_desktop(staff_client: Any) -> None:
    case = _case("https://files.example.test/c/1")
    body = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    assert body.count('class="case-column"') == 2 and 'class="case-layout"' in body
    css = (Path(services.__file__).parents[1] / "static" / "cases" / "cases.css").read_text()
    assert "@media (min-width: 1100px)" in css and ".case-layout { display: grid;" in css


def test_save_and_next_keeps_to_the_queue_filters_the_analyst_chose(staff_client: Any) -> None:
    from hotline.cases.selectors import next_case_id

    first = _case("https://files.example.test/f/1")
    other = _case("https://files.example.test/f/2", kind="other")
    second = _case("https://files.example.test/f/3")
    client = staff_client("analyst")
    # Unfiltered, the case of the other kind would come next: the filter is what skips it.
    assert next_case_id(after_case_id=first.pk, viewer_id=client.user.pk) == other.pk

    queue = client.get("/cases/", {"kind": "online_material"}).content.decode()
    assert f'href="/cases/{first.pk}/?kind=online_material"' in queue
    assert f'href="/cases/{other.pk}/' not in queue
    page = client.get(f"/cases/{first.pk}/", {"kind": "online_material"}).content.decode()
    assert f'action="/cases/{first.pk}/assess/start/?kind=online_material"' in page
    started = client.post(f"/cases/{first.pk}/assess/start/?kind=online_material")
    assert started["Location"] == f"/cases/{first.pk}/assess/?kind=online_material"
    form = client.get(started["Location"]).content.decode()
    assert f'action="/cases/{first.pk}/assess/?kind=online_material"' in form
    response = client.post(
        f"/cases/{first.pk}/assess/?kind=online_material",
        {**FORM, "version": Case.objects.get(pk=first.pk).version, "then": "next"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{second.pk}/?kind=online_material"


def test_the_carried_filters_are_only_valid_queue_filters(staff_client: Any) -> None:
    case = _case("https://files.example.test/g/1")
    client = staff_client("analyst")
    page = client.get(f"/cases/{case.pk}/", {"kind": "no-such-kind", "q": "https://files.example.test/g/1"})
    body = page.content.decode()
    assert f'action="/cases/{case.pk}/assess/start/"' in body  # nothing unknown travels on
