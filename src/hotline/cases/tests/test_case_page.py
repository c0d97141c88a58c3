"""The case page: decrypted report metadata (each view audited), URL as plain text only, audited copy,
duplicates, related cases, timeline, encrypted notes, status-only closing with stale-form protection."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseNote, CaseState, Channel, NexusHint, ReportKind
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/album/42"


@pytest.fixture
def case() -> Case:
    report = store_report(
        URL,
        description="Reporter saw the link in a group chat.",
        where_seen="A messaging group",
        contact="reporter@mail.example",
        reporter_classification="csam",
        nexus_victim=NexusHint.YES,
    )
    services.triage_report(report_id=report.pk)
    services.triage_report(
        report_id=store_report(URL + "?utm_source=x", channel=Channel.API, source_name="Operator app").pk
    )
    return Case.objects.get(url_index__isnull=False)


def test_page_shows_decrypted_metadata_and_is_audited(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Reporter saw the link in a group chat.", "A messaging group", "reporter@mail.example", "csam"):
        assert text in body
    assert "Operator app" in body
    entry = AuditEntry.objects.get(action="case.viewed")
    assert entry.actor == client.user and entry.object_id == str(case.pk) and entry.details == {}
    client.get(f"/cases/{case.pk}/")
    assert AuditEntry.objects.filter(action="case.viewed").count() == 2


def test_the_url_is_plain_text_never_a_link_or_prefetch(case: Case, staff_client: Any) -> None:
    body = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    assert f'<span class="plain-url" translate="no">{case.canonical_url}</span>' in body
    # The reported host appears nowhere as an attribute value (href, src, action, prefetch...).
    assert not re.search(r'="[^"]*files\.example\.test', body)
    assert "prefetch" not in body and "preconnect" not in body and "dns-prefetch" not in body
    assert '<link rel="icon" href="data:,">' in body  # no favicon request to anyone


def test_copying_the_url_is_a_post_and_audited(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    assert client.get(f"/cases/{case.pk}/copy-url/").status_code == 405
    page = client.post(f"/cases/{case.pk}/copy-url/")
    assert page.status_code == 200
    assert f'value="{case.canonical_url}"' in page.content.decode() and "readonly" in page.content.decode()
    as_json = client.post(f"/cases/{case.pk}/copy-url/", HTTP_ACCEPT="application/json")
    assert as_json.json() == {"url": case.canonical_url}
    entries = AuditEntry.objects.filter(action="case.url_copied", object_id=str(case.pk))
    assert entries.count() == 2 and "example" not in str(list(entries.values_list("details", flat=True)))


def test_copying_a_url_that_could_not_be_read_gives_it_as_reported(staff_client: Any) -> None:
    bad = "ftp://files.example.test/x"
    case_id = services.triage_report(report_id=store_report(bad).pk).case_ids[0]
    response = staff_client("analyst").post(f"/cases/{case_id}/copy-url/", HTTP_ACCEPT="application/json")
    assert response.json() == {"url": bad}


def test_a_situation_case_has_nothing_to_copy(staff_client: Any) -> None:
    case_id = services.triage_report(report_id=store_report(kind=ReportKind.TRAFFICKING).pk).case_ids[0]
    client = staff_client("analyst")
    assert client.get(f"/cases/{case_id}/").status_code == 200
    assert client.post(f"/cases/{case_id}/copy-url/").status_code == 400


def english(client: Any) -> Any:
    client.cookies["hotline_language"] = "en"
    return client


def test_duplicates_channels_and_timeline(case: Case, staff_client: Any) -> None:
    body = english(staff_client("analyst")).get(f"/cases/{case.pk}/").content.decode()
    duplicates = body.split('id="dup-heading"')[1].split("</section>")[0]
    assert "2 reports" in duplicates and "2 independent reporters" in duplicates
    assert "Web form: 1" in duplicates and "Partner API: 1" in duplicates
    timeline = body.split('id="timeline"')[1]
    assert timeline.count("<li") == 5  # 2 received, 2 attached, 1 transition new -> triaged
    assert "State New → Triaged" in timeline


def test_related_cases_by_domain_and_host(case: Case, staff_client: Any) -> None:
    same_host = services.triage_report(report_id=store_report("https://files.example.test/other").pk).case_ids[0]
    same_domain = services.triage_report(report_id=store_report("https://cdn.example.test/x").pk).case_ids[0]
    unrelated = services.triage_report(report_id=store_report("https://img-host.example/x").pk).case_ids[0]
    body = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    related = body.split('id="related-heading"')[1].split('id="timeline-heading"')[0]
    assert f"/cases/{same_host}/" in related and f"/cases/{same_domain}/" in related
    assert f"/cases/{unrelated}/" not in related


def test_notes_are_encrypted_and_on_the_timeline(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    response = client.post(f"/cases/{case.pk}/notes/", {"text": "Checked the hosting facts; waiting for trace."})
    assert response.status_code == 302
    note = CaseNote.objects.get()
    assert note.author == client.user
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_casenote")
        assert "hosting" not in cursor.fetchone()[0]
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Checked the hosting facts; waiting for trace." in body.split('id="timeline"')[1]
    assert AuditEntry.objects.get(action="case.note_added").details == {"note": note.pk}
    assert client.post(f"/cases/{case.pk}/notes/", {"text": "   "}).status_code == 400


def test_status_only_close_asks_once_more_then_closes_as_a_duplicate_linked_both_ways(
    case: Case, staff_client: Any
) -> None:
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    other = services.triage_report(report_id=store_report("https://img-host.example/z").pk).case_ids[0]
    form = {"reason": "duplicate", "duplicate_of": other, "version": case.version}
    ask = client.post(f"/cases/{case.pk}/close/", form)
    # The first POST changes nothing: a page asks once more, with the same fields and a destructive button.
    assert ask.status_code == 200
    body = ask.content.decode()
    assert f"Close case #{case.pk} as a duplicate of case #{other}?" in body
    assert 'name="confirmed" value="yes"' in body and 'class="button-danger"' in body
    assert f'name="duplicate_of" value="{other}"' in body
    assert f'href="/cases/{case.pk}/"' in body  # the way back
    case.refresh_from_db()
    assert case.state == CaseState.TRIAGED
    response = client.post(f"/cases/{case.pk}/close/", {**form, "confirmed": "yes"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.close_reason == "duplicate" and case.duplicate_of_id == other
    assert not case.assessments.exists()
    event = case.events.get(kind="transition", to_state="closed")
    assert event.details["duplicate_of"] == other and event.details["status_only"] is True
    # Linked both ways: each page names the other.
    closed_page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'<a href="/cases/{other}/">Case #{other}</a>' in closed_page
    assert f"duplicate of case #{other}" in closed_page.split('id="timeline"')[1]
    original_page = client.get(f"/cases/{other}/").content.decode()
    assert "Duplicates of this case" in original_page and f'<a href="/cases/{case.pk}/">' in original_page
    assert f"Case #{case.pk} was closed as a duplicate of this case" in original_page
    assert Case.objects.get(pk=other).events.filter(kind="duplicate_linked", details__duplicate=case.pk).exists()


@pytest.mark.parametrize(
    ("duplicate_of", "words"),
    [("", "Give the number of the case"), ("424242", "There is no case #424242"), ("self", "itself")],
)
def test_a_duplicate_close_needs_the_number_of_another_existing_case(
    case: Case, staff_client: Any, duplicate_of: str, words: str
) -> None:
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    number = str(case.pk) if duplicate_of == "self" else duplicate_of
    for confirmed in ({}, {"confirmed": "yes"}):
        response = client.post(
            f"/cases/{case.pk}/close/",
            {"reason": "duplicate", "duplicate_of": number, "version": case.version, **confirmed},
        )
        assert response.status_code == 400 and words in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.TRIAGED and case.duplicate_of_id is None


def test_a_duplicate_of_a_duplicate_is_refused_with_the_original_named(case: Case, make_staff: Any) -> None:
    analyst = make_staff("analyst")
    first = Case.objects.get(
        pk=services.triage_report(report_id=store_report("https://img-host.example/a").pk).case_ids[0]
    )
    second = Case.objects.get(
        pk=services.triage_report(report_id=store_report("https://img-host.example/b").pk).case_ids[0]
    )
    services.close_case(case=second, actor=analyst, reason="duplicate", expected_version=None, duplicate_of=first.pk)
    with pytest.raises(services.CaseError, match=rf"(#|nr ){first.pk}\b"):
        services.close_case(case=case, actor=analyst, reason="duplicate", expected_version=None, duplicate_of=second.pk)


def test_status_only_close_refuses_a_stale_form(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    seen = case.version
    services.triage_report(report_id=store_report(URL + "#x", channel=Channel.SHARE).pk)  # the case changes
    for confirmed in ({}, {"confirmed": "yes"}):
        response = client.post(f"/cases/{case.pk}/close/", {"reason": "unreachable", "version": seen, **confirmed})
        assert response.status_code == 409
        assert "Reload" in response.content.decode() or "ladda om" in response.content.decode().lower()
    case.refresh_from_db()
    assert case.state == CaseState.TRIAGED


def test_status_only_close_refuses_removed_and_nonsense(case: Case, staff_client: Any) -> None:
    client = staff_client("analyst")
    yes = {"confirmed": "yes"}
    assert (
        client.post(f"/cases/{case.pk}/close/", {"reason": "removed", "version": case.version, **yes}).status_code
        == 400
    )
    assert client.post(f"/cases/{case.pk}/close/", {"reason": "duplicate", "version": "x", **yes}).status_code == 400


def test_no_close_without_assessment_once_referred_on_a_confirmed_assessment(
    case: Case, staff_client: Any, make_staff: Any
) -> None:
    from hotline.cases.services import AssessmentInput

    analyst = make_staff("analyst")
    services.claim_case(case=case, analyst=analyst)
    services.assess_case(
        case=case,
        analyst=analyst,
        data=AssessmentInput(verdict="csam_baseline", kind="online_material"),
        expected_version=None,
    )
    client = staff_client("supervisor", "analyst")
    assert f'action="/cases/{case.pk}/close/"' in client.get(f"/cases/{case.pk}/").content.decode()
    services.transition_case(case=case, to_state=CaseState.REFERRED, actor=analyst)  # as confirming a plan does
    case.refresh_from_db()
    assert f'action="/cases/{case.pk}/close/"' not in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(
        f"/cases/{case.pk}/close/", {"reason": "not_illegal", "version": case.version, "confirmed": "yes"}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == CaseState.REFERRED


def test_a_missing_case_is_404(staff_client: Any) -> None:
    assert staff_client("analyst").get("/cases/424242/").status_code == 404


class _Ids(HTMLParser):
    """The text of every element with an id, and the attributes of every <input>, of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.inputs: dict[str, dict[str, str]] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "input":
            self.inputs[values.get("name", "")] = values
            return
        if tag in {"br", "img", "meta", "link", "hr"}:
            return
        self._open.append(values.get("id"))
        if values.get("id"):
            self.text[values["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"input", "br", "img", "meta", "link", "hr"} and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for open_id in self._open:
            if open_id:
                self.text[open_id] += data


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Give the number of the case"),
        ("424242", "There is no case #424242"),
        ("self", "itself"),
        ("12a", "is a whole number"),
    ],
)
def test_a_refused_duplicate_close_shows_its_error_next_to_the_number_field(
    case: Case, staff_client: Any, typed: str, words: str
) -> None:
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    number = str(case.pk) if typed == "self" else typed
    response = client.post(
        f"/cases/{case.pk}/close/", {"reason": "duplicate", "duplicate_of": number, "version": case.version}
    )
    assert response.status_code == 400
    page = _Ids()
    page.feed(response.content.decode())
    field = page.inputs["duplicate_of"]
    assert field.get("aria-invalid") == "true"
    assert field.get("value") == number  # what was typed is kept
    described = field["aria-describedby"].split()
    assert any(words in page.text.get(ref, "") for ref in described)  # the error is the field's own
    summary = response.content.decode().split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'href="#{field["id"]}"' in summary and words in summary
    assert "Error:" in response.content.decode().split("</title>", 1)[0]
    case.refresh_from_db()
    assert case.state == CaseState.TRIAGED and case.duplicate_of_id is None


def test_an_unrefused_close_page_has_no_error_marks(case: Case, staff_client: Any) -> None:
    page = _Ids()
    page.feed(staff_client("analyst").get(f"/cases/{case.pk}/").content.decode())
    assert "aria-invalid" not in page.inputs["duplicate_of"]
    assert page.inputs["duplicate_of"]["aria-describedby"] == "duplicate-help"
