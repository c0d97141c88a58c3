"""The public pages: report form (no JS needed), thank-you with receipt, share target, manifest, bookmark, status."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django_tasks_db.models import DBTaskResult

from hotline.cases.factories import make_case
from hotline.cases.models import Case, CaseState, Channel, Report, ReportedUrl, ReporterMessage
from hotline.intake.receipts import receipt_index

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(rb'<p class="receipt"[^>]*>(\d{4} \d{4} \d{4} \d{4})</p>')


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def form_data(**extra: Any) -> dict[str, Any]:
    data = {
        "kind": "online_material",
        "url_fields": "3",
        "url_1": "",
        "url_2": "",
        "url_3": "",
        "where_seen": "",
        "description": "",
        "reporter_classification": "",
        "nexus_victim": "unknown",
        "nexus_offender": "unknown",
        "nexus_place": "unknown",
        "contact": "",
        "channel": "web",
        "action": "send",
    }
    data.update(extra)
    return data


def send(client: Client, **extra: Any) -> Any:
    """POST the form and follow its redirect to the one-time thank-you page (a refused form is not redirected)."""
    return client.post("/report/", form_data(**extra), follow=True)


def receipt_of(response: Any) -> str:
    match = RECEIPT.search(response.content)
    assert match, response.content.decode()[:2000]
    return match.group(1).decode()


def test_form_renders_without_javascript_needs(client: Client) -> None:
    response = client.get("/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len(re.findall(r'name="url_\d', html)) == 3 and 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_url_1">' in html and 'action="/report/"' in html and 'method="post"' in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert "<script>" not in html and "style=" not in html and "onclick" not in html


def test_sending_a_report_shows_a_receipt_once(client: Client) -> None:
    data = form_data(url_1="https://host.example/a", url_2="files.example.test/x", description="Seen in a chat.")
    posted = client.post("/report/", data)
    # POST -> 303 -> GET: a refresh asks for the thank-you page again, never sends the report twice.
    assert posted.status_code == 303 and posted["Location"].startswith("/report/thanks/")
    assert not re.search(r"\d{16}|\d{4} \d{4}", posted["Location"])  # no receipt in the address
    response = client.get(posted["Location"])
    assert response.status_code == 200
    receipt = receipt_of(response)
    again = client.get(posted["Location"])  # the refresh, the back button, the next person at this computer
    assert again.status_code == 410 and receipt.encode() not in again.content and not RECEIPT.search(again.content)
    report = Report.objects.get()
    assert report.channel == Channel.WEB and report.language == "sv" and report.description == "Seen in a chat."
    assert report.receipt_index == receipt_index(receipt) == receipt_index(receipt.replace(" ", ""))
    assert [u.url for u in report.urls.all()] == ["https://host.example/a", "http://files.example.test/x"]
    assert DBTaskResult.objects.get().args_kwargs == {"args": [report.pk], "kwargs": {}}
    assert "no-store" in response["Cache-Control"]


def test_english_form_and_language(client: Client) -> None:
    client.cookies["hotline_language"] = "en"
    assert b"Send report" in client.get("/report/").content
    send(client, description="Described in English.")
    assert Report.objects.get().language == "en"
    client.cookies["hotline_language"] = "sv"
    assert b"Skicka" in client.get("/report/").content


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a url", b"not a web address"),
        ("http://192.168.1.20/admin", b"private, local or loopback"),
        ("http://[::1]/", b"private, local or loopback"),
        ("http://169.254.0.9/", b"private, local or loopback"),
        ("https://host.example/" + "a" * 5000, b"too long"),
    ],
)
def test_each_url_gets_its_own_message(client: Client, value: str, expected: bytes) -> None:
    client.cookies["hotline_language"] = "en"
    response = send(client, url_1="https://fine.example/", url_2=value)
    assert response.status_code == 400
    html = response.content
    assert expected in html
    assert b'id="id_url_2_error"' in html and b'aria-invalid="true"' in html
    assert b'aria-describedby=" id_url_2_error"' in html or b'aria-describedby="id_url_2_error"' in html.replace(
        b" id_url_2_error", b"id_url_2_error"
    )
    assert b'href="#id_url_2"' in html  # the error summary links to the field
    assert b"https://fine.example/" in html  # what was typed is kept
    assert Report.objects.count() == 0


def test_empty_report_is_refused(client: Client) -> None:
    client.cookies["hotline_language"] = "en"
    response = send(client)
    assert (
        response.status_code == 400 and b"Write at least one web address or describe what you saw" in response.content
    )
    assert Report.objects.count() == 0


def test_reserved_test_names_are_accepted(client: Client) -> None:
    send(client, url_1="http://a.example/", url_2="https://b.test/x", url_3="http://c.invalid/?q=1")
    assert ReportedUrl.objects.count() == 3


def test_add_another_url_field_keeps_what_was_typed(client: Client) -> None:
    response = client.post("/report/", form_data(url_1="https://one.example/", action="add_url"))
    html = response.content.decode()
    assert response.status_code == 200 and len(re.findall(r'name="url_\d', html)) == 4
    assert 'value="https://one.example/"' in html and 'id="id_url_4" value="" inputmode="url"' in html
    assert "autofocus" in html and "error-summary" not in html and Report.objects.count() == 0


def test_twenty_urls_at_most(client: Client) -> None:
    urls = {f"url_{i}": f"https://host.example/{i}" for i in range(1, 21)}
    response = client.post("/report/", form_data(url_fields="20", action="add_url", **urls))
    assert (
        len(re.findall(r'name="url_\d', response.content.decode())) == 20 and b'value="add_url"' not in response.content
    )
    send(client, url_fields="25", url_21="https://ignored.example/", **urls)
    assert ReportedUrl.objects.count() == 20


def test_csrf_is_required(client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/report/", form_data(description="x")).status_code == 403
    assert Report.objects.count() == 0


def test_unknown_channel_value_falls_back_to_web(client: Client) -> None:
    send(client, description="x", channel="api")
    send(client, description="y", channel="bookmark")
    assert sorted(Report.objects.values_list("channel", flat=True)) == ["bookmark", "web"]


def test_submissions_are_rate_limited_per_client(client: Client, settings: Any) -> None:
    settings.HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR = 2
    assert send(client, description="1").status_code == 200
    assert send(client, description="2").status_code == 200
    response = send(client, description="3 kept")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert b"3 kept" in response.content and b'action="/report/"' in response.content  # the form, as typed
    assert Report.objects.count() == 2
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post("/report/", form_data(description="4")).status_code == 303


def test_share_target_prefills_the_form(client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)  # the share sheet has no CSRF token
    response = strict.post("/share/", {"title": "Page", "text": "", "url": "https://shared.example/p?x=1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_url_1" value="https://shared.example/p?x=1"' in html and 'name="channel" value="share"' in html
    response = strict.post("/share/", {"title": "A post", "text": "look at this https://in-text.example/t/9 now"})
    assert 'value="https://in-text.example/t/9"' in response.content.decode()
    multipart = strict.post("/share/", {"url": "https://multi.example/"}, format="multipart")
    assert 'value="https://multi.example/"' in multipart.content.decode()
    assert Report.objects.count() == 0  # nothing is stored until the reporter sends the form


def test_share_then_send_records_channel_share(client: Client) -> None:
    page = client.post("/share/", {"url": "https://shared.example/p"}).content.decode()
    assert 'name="channel" value="share"' in page
    send(client, url_1="https://shared.example/p", channel="share")
    assert Report.objects.get().channel == Channel.SHARE


def test_share_get_never_reads_the_query_string(client: Client) -> None:
    response = client.get("/share/?url=https://leak.example/")
    assert response.status_code == 302 and response["Location"] == "/report/"


def test_manifest_has_a_post_share_target(client: Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    target = manifest["share_target"]
    assert target["action"] == "/share/" and target["method"] == "POST"
    assert target["enctype"] in {"multipart/form-data", "application/x-www-form-urlencoded"}
    assert target["params"] == {"title": "title", "text": "text", "url": "url"}
    assert manifest["start_url"] == "/report/" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}


def test_bookmarklet_uses_a_fragment_never_a_query_string(client: Client) -> None:
    html = client.get("/report/bookmark/").content.decode()
    code = re.search(r'<pre class="plain-url" id="bookmarklet-code" tabindex="0">(.*?)</pre>', html, re.S).group(1)
    assert code.startswith("javascript:") and "/report/#url=" in code and "?" not in code
    assert "encodeURIComponent(location.href)" in code and "noreferrer" in code


def test_status_page_flow(client: Client) -> None:
    client.cookies["hotline_language"] = "en"
    receipt = receipt_of(send(client, url_1="https://a.example/1", url_2="https://b.example/2"))
    assert client.get("/report/status/").status_code == 200
    response = client.post("/report/status/", {"receipt": receipt.replace(" ", "-")})
    assert response.status_code == 200 and b'data-status="received"' in response.content
    report = Report.objects.get()
    first, second = report.urls.all()
    first.case = make_case(state=CaseState.REFERRED)
    first.save()
    second.case = make_case(state=CaseState.IN_ASSESSMENT)
    second.save()
    response = client.post("/report/status/", {"receipt": receipt})
    assert b'data-status="forwarded"' in response.content
    for url in report.urls.all():
        Case.objects.filter(pk=url.case_id).update(state=CaseState.CLOSED, close_reason="removed")
    response = client.post("/report/status/", {"receipt": receipt})
    assert b'data-status="closed"' in response.content and b"removed" not in response.content.lower()


def test_situation_report_status(client: Client) -> None:
    receipt = receipt_of(send(client, kind="trafficking", description="An advert."))
    report = Report.objects.get()
    report.situation_case = make_case(kind="trafficking", state=CaseState.IN_ASSESSMENT)
    report.save()
    assert b'data-status="being_assessed"' in client.post("/report/status/", {"receipt": receipt}).content


def test_reporter_can_add_a_message(client: Client) -> None:
    receipt = receipt_of(send(client, description="First."))
    response = client.post("/report/status/", {"receipt": receipt, "message": "It was posted again elsewhere."})
    assert response.status_code == 200 and b"message success" in response.content
    message = ReporterMessage.objects.get()
    assert message.text == "It was posted again elsewhere." and message.report == Report.objects.get()
    empty = client.post("/report/status/", {"receipt": receipt, "message": "  "})
    assert empty.status_code == 200 and ReporterMessage.objects.count() == 1 and b'aria-invalid="true"' in empty.content


def test_wrong_receipts_are_rate_limited(client: Client, settings: Any) -> None:
    settings.HOTLINE_RECEIPT_FAILURES_PER_HOUR = 3
    receipt = receipt_of(send(client, description="x"))
    for _ in range(3):
        assert client.post("/report/status/", {"receipt": "1234 5678 9012 3456"}).status_code == 404
    blocked = client.post("/report/status/", {"receipt": receipt})  # even the right code waits now
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert client.post("/report/status/", {"receipt": receipt, "message": "guess"}).status_code == 429
    assert ReporterMessage.objects.count() == 0
    assert Client(REMOTE_ADDR="203.0.113.9").post("/report/status/", {"receipt": receipt}).status_code == 200


def test_malformed_receipt_is_a_field_error(client: Client) -> None:
    response = client.post("/report/status/", {"receipt": ""})
    assert response.status_code == 400 and b'aria-invalid="true"' in response.content
    assert client.post("/report/status/", {"receipt": "12"}).status_code == 404


@pytest.mark.parametrize("field", ["url_²", "url_٣", "url_99999999999999999999", "url_-1", "url_"])
@pytest.mark.parametrize("action", ["send", "add_url"])
def test_odd_url_field_names_never_give_a_500(client: Client, field: str, action: str) -> None:
    """Unicode digits ('²'.isdigit() is True, int('²') fails) and huge numbers are not URL fields."""
    response = client.post("/report/", {**form_data(action=action), field: "https://odd.example.test/x"})
    assert response.status_code in (200, 400), response.status_code


def token_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_a_report_needs_no_cookie_and_the_thank_you_page_switches_language_without_one() -> None:
    """core/formguard.py: the public forms set and need no cookie (a browser blocking cookies loses nothing)."""
    strict = Client(enforce_csrf_checks=True)
    form = strict.get("/report/")
    assert not form.cookies  # no CSRF cookie, no session
    token = token_of(form.content.decode())
    posted = strict.post("/report/", {**form_data(url_1="https://token.example/"), "csrfmiddlewaretoken": token})
    assert posted.status_code == 303 and not posted.cookies
    thanks = strict.get(posted["Location"])
    assert thanks.status_code == 200 and not thanks.cookies and "no-store" in thanks["Cache-Control"]
    switched = strict.post(
        "/language/", {"language": "en", "next": "/report/", "csrfmiddlewaretoken": token_of(thanks.content.decode())}
    )
    assert switched.status_code == 302 and switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://attacker.example.test"},
        {"HTTP_ORIGIN": "null"},
        {},  # neither header and no valid token
    ],
)
def test_a_forged_report_is_refused_with_the_sites_own_page_keeping_what_was_typed(headers: dict[str, str]) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies["hotline_language"] = "en"
    data = {**form_data(url_1="https://kept.example/", description="Typed with care."), "csrfmiddlewaretoken": "1.x"}
    response = strict.post("/report/", data, **headers)
    html = response.content.decode()
    assert response.status_code == 403 and "Nothing has been sent yet" in html and 'lang="en"' in html
    assert "https://kept.example/" in html and "Typed with care." in html and "Send report" in html
    assert Report.objects.count() == 0


@pytest.mark.parametrize("headers", [{"HTTP_SEC_FETCH_SITE": "same-origin"}, {"HTTP_ORIGIN": "http://testserver"}])
def test_a_same_origin_post_needs_no_token(headers: dict[str, str]) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/report/", form_data(description="From our own page."), **headers).status_code == 303


def test_a_token_is_bound_to_its_client_and_its_time() -> None:
    import time

    from django.test import RequestFactory

    from hotline.core import formguard

    factory = RequestFactory()
    here, elsewhere = factory.get("/", REMOTE_ADDR="192.0.2.10"), factory.get("/", REMOTE_ADDR="203.0.113.9")
    token = formguard.form_token(here)
    assert formguard.token_is_valid(here, token)
    assert not formguard.token_is_valid(elsewhere, token)  # an attacker's own token fails in the victim's browser
    old = formguard.form_token(here, now=time.time() - formguard.VALID_SECONDS - 5)
    assert not formguard.token_is_valid(here, old)
    issued, mac = token.split(".")
    assert not formguard.token_is_valid(here, f"{int(issued) + 1}.{mac}")
    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    assert strict.post("/report/", {**form_data(description="x"), "csrfmiddlewaretoken": token}).status_code == 403


def test_a_thank_you_address_is_not_guessable_and_expires(client: Client) -> None:
    import time

    from hotline.intake import thanks

    posted = client.post("/report/", form_data(description="Expiring."))
    token = posted["Location"].split("/")[3]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get(f"/report/thanks/{tampered}/").status_code == 404
    assert client.get("/report/thanks/dev1.nothing/").status_code == 404
    old = thanks.seal(receipt="1234567890123456", kind="other", now=time.time() - 11 * 60)
    response = client.get(f"/report/thanks/{old}/")
    assert response.status_code == 404 and b"1234" not in response.content
    assert client.get(posted["Location"]).status_code == 200  # the real one, once
