"""/report/own-images/ on the server: the page without and with hashes, every refusal a clear 400 that stores
nothing, the receipt and status page as for any report, and triage of a report that carries only hashes."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.cases.models import Case, Channel, Report, ReportHash
from hotline.core.models import AuditEntry
from hotline.intake.receipts import receipt_index

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(rb'<p class="receipt"[^>]*>(\d{4} \d{4} \d{4} \d{4})</p>')


def file_hashes(seed: bytes, *, pdq: bool = True) -> dict[str, Any]:
    """The hashes the page sends for one made-up file (bytes that stand for no image)."""
    entry: dict[str, Any] = {
        "sha256": hashlib.sha256(seed).hexdigest(),
        "md5": hashlib.md5(seed, usedforsecurity=False).hexdigest(),
    }
    if pdq:
        entry |= {"pdq": hashlib.sha256(b"pdq" + seed).hexdigest(), "quality": 90}
    return entry


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def en_client(client: Client) -> Client:
    client.cookies["hotline_language"] = "en"
    return client


def send(client: Client, files: Any, **extra: Any) -> Any:
    hashes = files if isinstance(files, str) else json.dumps(files)
    return client.post("/report/own-images/", {"hashes": hashes, "message": "", **extra}, follow=True)


def nothing_stored() -> bool:
    return not Report.objects.exists() and not ReportHash.objects.exists()


def test_the_page_works_without_javascript_by_pointing_to_the_report_form(client: Client) -> None:
    html = client.get("/report/own-images/").content.decode()
    assert 'lang="sv"' in html and "Bilder eller filmer på dig" in html
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert 'href="/report/"' in noscript and "JavaScript" in noscript
    # The picker is hidden until the script shows it, and the file input is outside the form, without a name.
    assert re.search(r'<div id="own-images" class="own-images" hidden', html)
    form = re.search(r'<form method="post" action="/report/own-images/" id="own-form"[^>]*>(.*?)</form>', html, re.S)
    assert 'type="file"' not in form.group(1) and "multipart" not in html
    assert re.search(r'<input type="file" id="own-files" multiple accept="image/\*,video/\*"', html)
    assert '<script type="module" src="/static/intake/own-images/page.js">' in html
    assert "<script>" not in html  # nothing inline: the CSP allows only the site's own files


def test_the_page_in_english(en_client: Client) -> None:
    html = en_client.get("/report/own-images/").content.decode()
    assert "Pictures or videos of you" in html and "It is not your fault" in html


def test_hashes_make_a_report_with_a_receipt_and_its_hashes(en_client: Client) -> None:
    files = [file_hashes(b"first"), file_hashes(b"second", pdq=False), file_hashes(b"first")]  # one picked twice
    response = send(en_client, files, message="  They were shared in a group chat.  ")
    assert response.status_code == 200
    receipt = RECEIPT.search(response.content).group(1).decode()
    report = Report.objects.get()
    assert report.channel == Channel.OWN_IMAGES and report.language == "en"
    assert report.receipt_index == receipt_index(receipt)
    assert report.description == "They were shared in a group chat."
    assert not report.urls.exists()
    stored = {(h.kind, h.value, h.quality) for h in report.hashes.all()}
    first, second = file_hashes(b"first"), file_hashes(b"second")
    assert stored == {
        ("sha256", first["sha256"], None),
        ("md5", first["md5"], None),
        ("pdq", first["pdq"], 90),
        ("sha256", second["sha256"], None),
        ("md5", second["md5"], None),
    }
    entry = AuditEntry.objects.get(action="report.hashes_stored")
    assert entry.details == {"count": 5, "kinds": {"md5": 2, "pdq": 1, "sha256": 2}}


def test_the_message_is_optional_and_the_status_page_knows_the_receipt(en_client: Client, run_tasks: Any) -> None:
    response = send(en_client, [file_hashes(b"only")])
    receipt = RECEIPT.search(response.content).group(1).decode()
    assert Report.objects.get().description == ""
    status = en_client.post("/report/status/", {"receipt": receipt})
    assert status.status_code == 200 and b'data-status="received"' in status.content
    run_tasks()  # triage: a report without URL gets a case of its own
    report = Report.objects.get()
    assert report.triaged_at is not None and report.situation_case is not None
    assert Case.objects.get().channels == ",own_images,"
    added = en_client.post("/report/status/", {"receipt": receipt, "message": "One more thing."})
    assert added.status_code == 200 and b"message success" in added.content


@pytest.mark.parametrize(
    ("hashes", "words"),
    [
        ("", "Choose at least one picture or video"),
        ("[]", "Choose at least one picture or video"),
        ("not json", "did not arrive complete"),
        ('{"sha256": "00"}', "did not arrive complete"),
        (json.dumps([{"sha256": "a" * 64}]), "File 1: "),
        (json.dumps([file_hashes(b"ok"), {**file_hashes(b"x"), "md5": "z" * 32}]), "File 2: MD5 hashes are 32"),
        (json.dumps([{**file_hashes(b"x"), "sha256": "ab"}]), "File 1: SHA-256 hashes are 64"),
        (json.dumps([{**file_hashes(b"x"), "quality": 101}]), "File 1: The quality of a PDQ hash"),
        (json.dumps([{**file_hashes(b"x", pdq=False), "quality": 50}]), "did not arrive complete"),
        (json.dumps([{**file_hashes(b"x"), "name": "holiday.jpg"}]), "did not arrive complete"),
    ],
)
def test_a_bad_hash_is_a_400_with_a_message_and_stores_nothing(en_client: Client, hashes: str, words: str) -> None:
    response = send(en_client, hashes, message="Kept for the next try.")
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html and 'class="error-summary"' in html
    assert "Kept for the next try." in html  # the message is not lost
    assert nothing_stored() and not AuditEntry.objects.filter(action="report.hashes_stored").exists()


def test_too_many_files_is_a_400_that_stores_nothing(en_client: Client, settings: Any) -> None:
    settings.HOTLINE_OWN_IMAGES_MAX_FILES = 3
    response = send(en_client, [file_hashes(bytes([i])) for i in range(4)])
    assert response.status_code == 400
    assert b"at most 3 files at a time" in response.content
    assert nothing_stored()
    assert send(en_client, [file_hashes(bytes([i])) for i in range(3)]).status_code == 200
    assert ReportHash.objects.count() == 9


def test_an_oversized_hashes_field_is_refused_before_it_is_parsed(en_client: Client) -> None:
    response = send(en_client, "[" + " " * 100_000 + "]")
    assert response.status_code == 400 and b"at most 20 files" in response.content
    assert nothing_stored()


def test_a_post_with_a_file_is_refused_whole(en_client: Client) -> None:
    upload = SimpleUploadedFile("picture.png", b"\x89PNG made-up bytes", content_type="image/png")
    response = en_client.post(
        "/report/own-images/", {"hashes": json.dumps([file_hashes(b"a")]), "message": "", "file": upload}
    )
    assert response.status_code == 400 and b"Files are never sent to us from this page" in response.content
    assert nothing_stored()


def test_a_too_long_message_is_a_400(en_client: Client) -> None:
    response = send(en_client, [file_hashes(b"a")], message="x" * 10_001)
    assert response.status_code == 400 and nothing_stored()
    assert 'href="#id_message"' in response.content.decode()


def test_the_hourly_limit_counts_these_reports_too(en_client: Client, settings: Any) -> None:
    settings.HOTLINE_INTAKE_SUBMISSIONS_PER_HOUR = 1
    assert send(en_client, [file_hashes(b"a")]).status_code == 200
    response = send(en_client, [file_hashes(b"b")])
    assert response.status_code == 429 and response["Retry-After"]
    assert Report.objects.count() == 1 and ReportHash.objects.count() == 3


def test_a_get_changes_nothing(client: Client) -> None:
    assert client.get("/report/own-images/?hashes=x").status_code == 200
    assert nothing_stored()
