"""Pure rules without a database: URL checks, report checks, receipts, public status, client addresses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from hotline.cases.models import CaseState
from hotline.intake.public_status import PublicStatus, public_status
from hotline.intake.ratelimit import client_address
from hotline.intake.receipts import format_receipt, is_well_formed, new_receipt, normalise, receipt_index
from hotline.intake.rules import ReportInput, UrlProblem, clean_reported_url, report_problems

ACCEPTED = [
    ("https://host.example/path", "https://host.example/path"),
    ("  host.example/path?x=1  ", "http://host.example/path?x=1"),
    ("host.example:8080/x", "http://host.example:8080/x"),
    ("http://example.test", "http://example.test"),
    ("https://x.invalid/?q=1#frag", "https://x.invalid/?q=1#frag"),
    ("http://192.0.2.10/a", "http://192.0.2.10/a"),
    ("http://198.51.100.1/", "http://198.51.100.1/"),
    ("http://[2001:db8::1]/", "http://[2001:db8::1]/"),
    ("http://bücher.example/", "http://bücher.example/"),
    ("http://user:pw@files.example/", "http://user:pw@files.example/"),
    ("http://abcdefghijklmnop.onion/x", "http://abcdefghijklmnop.onion/x"),
    ("HTTPS://UPPER.EXAMPLE/", "HTTPS://UPPER.EXAMPLE/"),
    ("http://8.8.8.8/", "http://8.8.8.8/"),
]
NOT_URL = [
    "not a url",
    "javascript:alert(1)",
    "mailto:someone@host.example",
    "data:text/html,hello",
    "ftp://files.example/x",
    "http://",
    "http:///path",
    "http://singlelabel/",
    "http://host.example:99999/",
    "http://[::1/",
    "http://exa mple.example/",
    "http://host.123/",
    "http://-bad-.example/",
    "http://host.example/\x00",
]
PRIVATE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://10.1.2.3/",
    "http://172.16.5.4/",
    "http://192.168.0.1:8080/",
    "http://169.254.169.254/latest/",
    "http://100.64.1.1/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://localhost:8000/",
    "http://app.localhost/",
    "http://printer.local/",
    "http://router.home.arpa/",
]


@pytest.mark.parametrize(("raw", "stored"), ACCEPTED)
def test_accepted_urls(raw: str, stored: str) -> None:
    assert clean_reported_url(raw) == stored


@pytest.mark.parametrize("raw", NOT_URL)
def test_not_a_url(raw: str) -> None:
    with pytest.raises(UrlProblem) as problem:
        clean_reported_url(raw)
    assert problem.value.code == "not_url"


@pytest.mark.parametrize("raw", PRIVATE)
def test_private_hosts(raw: str) -> None:
    with pytest.raises(UrlProblem) as problem:
        clean_reported_url(raw)
    assert problem.value.code == "private_host"


@override_settings(HOTLINE_INTAKE_MAX_URL_LENGTH=50)
def test_too_long() -> None:
    assert clean_reported_url("https://host.example/" + "a" * 29)
    with pytest.raises(UrlProblem) as problem:
        clean_reported_url("https://host.example/" + "a" * 30)
    assert problem.value.code == "too_long" and "50" in str(problem.value)
    with pytest.raises(UrlProblem) as problem:
        clean_reported_url("host.example/" + "a" * 37)  # 50 typed, 57 with the scheme added
    assert problem.value.code == "too_long"


def test_report_problems() -> None:
    assert set(report_problems(ReportInput(kind="online_material"))) == {"description"}
    ok = ReportInput(kind="grooming", description="A chat.")
    assert report_problems(ok) == {}
    urls = ReportInput(urls=["https://a.example/", "bad url", "https://a.example/", "http://10.0.0.1/"])
    assert set(report_problems(urls)) == {"urls.1", "urls.3"}
    dup = ReportInput(urls=["https://a.example/", "a.example/b", "https://a.example/"])
    assert report_problems(dup) == {} and dup.urls == ["https://a.example/", "http://a.example/b"]
    assert "urls" in report_problems(ReportInput(urls=[f"https://a.example/{i}" for i in range(21)]))
    assert set(report_problems(ReportInput(kind="weather", description="x", nexus_place="maybe"))) == {
        "kind",
        "nexus_place",
    }
    assert "description" in report_problems(ReportInput(description="nul\x00"))
    assert "description" in report_problems(ReportInput(description="\ud800"))
    assert "description" in report_problems(ReportInput(description="x" * 10_001))
    assert "reporter_classification" in report_problems(ReportInput(description="x", reporter_classification="a b"))
    assert "language" in report_problems(ReportInput(description="x", language="swedish"))


def test_receipts() -> None:
    codes = {new_receipt() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 16 and c.isdigit() for c in codes)
    assert format_receipt("1234567890123456") == "1234 5678 9012 3456"
    assert normalise("1234-5678 9012\u00a03456") == "1234567890123456"
    assert (
        is_well_formed("1234 5678 9012 3456")
        and not is_well_formed("1234")
        and not is_well_formed("１２３４５６７８９０１２３４５６")
    )
    assert (
        receipt_index("1234 5678 9012 3456")
        == receipt_index("1234567890123456")
        == receipt_index("1234-5678-9012-3456")
    )
    assert receipt_index("1234567890123456") != receipt_index("1234567890123457")
    assert len(receipt_index("1234567890123456")) == 64 and "1234567890123456" not in receipt_index("1234567890123456")


def test_receipt_hash_depends_on_the_configured_key() -> None:
    before = receipt_index("1234567890123456")
    with override_settings(HOTLINE_INDEX_KEY="a-different-index-key"):
        assert receipt_index("1234567890123456") != before


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], PublicStatus.RECEIVED),
        ([CaseState.NEW], PublicStatus.RECEIVED),
        ([CaseState.TRIAGED, CaseState.NEW], PublicStatus.RECEIVED),
        ([CaseState.IN_ASSESSMENT], PublicStatus.BEING_ASSESSED),
        ([CaseState.ASSESSED, CaseState.TRIAGED], PublicStatus.BEING_ASSESSED),
        ([CaseState.REFERRED, CaseState.TRIAGED], PublicStatus.FORWARDED),
        ([CaseState.MONITORING], PublicStatus.FORWARDED),
        ([CaseState.CLOSED, CaseState.IN_ASSESSMENT], PublicStatus.BEING_ASSESSED),
        ([CaseState.CLOSED, CaseState.CLOSED], PublicStatus.CLOSED),
    ],
)
def test_public_status(states: list[str], expected: PublicStatus) -> None:
    assert public_status(states) == expected


def _request(**meta: Any) -> Any:
    return RequestFactory().get("/", **meta)


def test_client_address(settings: Any) -> None:
    settings.HOTLINE_TRUSTED_PROXY_COUNT = 0
    assert client_address(_request(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")) == "203.0.113.5"
    settings.HOTLINE_TRUSTED_PROXY_COUNT = 1
    request = _request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.1")
    assert client_address(request) == "198.51.100.1"  # only the address our own proxy saw counts
    settings.HOTLINE_TRUSTED_PROXY_COUNT = 0
    assert client_address(_request(REMOTE_ADDR="2001:db8:1:2:3:4:5:6")) == "2001:db8:1:2::"
    assert client_address(_request(REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"
