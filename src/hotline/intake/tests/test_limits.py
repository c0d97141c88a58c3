"""Limits that hold against abuse (issue 20, points 2 and 3): refused partner requests meet the key's limit
themselves, and reporters' follow-up messages are limited per receipt and per client network."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from hotline.cases.models import Report, ReporterMessage
from hotline.staff import services as staff_services

pytestmark = pytest.mark.django_db

SMALLEST = {"kind": "online_material", "urls": ["https://host.example/path"]}
RECEIPT = re.compile(rb'<p class="receipt"[^>]*>(\d{4} \d{4} \d{4} \d{4})</p>')


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def one_window() -> Iterator[None]:
    """The partner limit's windows are fixed minutes: a clock held at hh:mm:05 keeps a test's requests in one
    window (a run that straddles a minute would otherwise start counting again)."""
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC), tick=False):
        yield


def _post(client: Client, path: str, body: Any, key: str, **headers: Any) -> Any:
    content_type = headers.pop("content_type", "application/json")
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data=data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {key}", **headers)


# --- point 2: invalid partner requests meet the limit -----------------------------------------------------
INVALID = [
    ("/api/v1/reports", {"kind": "online_material"}, {}),  # no URL and no description (the service refuses)
    ("/api/v1/reports", {"kind": "not-a-kind"}, {}),  # the schema refuses
    ("/api/v1/reports/batch", {"reports": [{"kind": "online_material"}]}, {}),  # a batch item refused
    ("/api/v1/reports", b"{not json", {}),  # 400
    ("/api/v1/reports", "kind=other", {"content_type": "text/plain"}),  # 415
]


@pytest.mark.parametrize(("path", "body", "headers"), INVALID, ids=["service", "schema", "batch", "json", "type"])
def test_invalid_requests_are_refused_with_429_once_over_the_limit(
    client: Client, settings: Any, path: str, body: Any, headers: dict[str, str], one_window: None
) -> None:
    settings.HOTLINE_API_REQUESTS_PER_MINUTE = 3
    _record, key = staff_services.create_partner_key(partner="Flooder", actor="test")
    answers = [_post(client, path, body, key, **headers) for _ in range(6)]
    assert all(a.status_code in (400, 415, 422) for a in answers[:3]), [a.status_code for a in answers]
    for refused in answers[3:]:
        assert refused.status_code == 429 and refused["Content-Type"].startswith("application/problem+json")
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert refused.json()["type"] == "/api/docs#problem-rate-limited"
        assert "3 requests in a minute" in refused.json()["detail"]
    assert _post(client, "/api/v1/reports", SMALLEST, key).status_code == 429  # and so is a valid one now
    assert Report.objects.count() == 0
    # Another key is not affected.
    _other, other_key = staff_services.create_partner_key(partner="Other", actor="test")
    assert _post(client, "/api/v1/reports", SMALLEST, other_key).status_code == 201


def test_a_flood_of_invalid_requests_gets_429_not_422(client: Client, settings: Any, one_window: None) -> None:
    """The hostile test's case: hundreds of invalid POSTs with one key in a row."""
    settings.HOTLINE_API_REQUESTS_PER_MINUTE = 50
    _record, key = staff_services.create_partner_key(partner="Flooder", actor="test")
    statuses = [_post(client, "/api/v1/reports", {"kind": "online_material"}, key).status_code for _ in range(200)]
    assert statuses.count(422) == 50 and statuses.count(429) == 150


# --- point 3: follow-up messages by receipt ---------------------------------------------------------------
def _report(client: Client) -> str:
    response = client.post(
        "/report/",
        {
            "kind": "online_material",
            "url_fields": "1",
            "url_1": "",
            "description": "Seen in a chat.",
            "nexus_victim": "unknown",
            "nexus_offender": "unknown",
            "nexus_place": "unknown",
            "channel": "web",
            "action": "send",
        },
        follow=True,  # POST -> 303 -> the one-time thank-you page
    )
    match = RECEIPT.search(response.content)
    assert match, response.content.decode()[:1000]
    return match.group(1).decode()


def _message(client: Client, receipt: str, n: int) -> Any:
    return client.post("/report/status/", {"receipt": receipt, "message": f"Message {n}: " + "x" * 9000})


def test_messages_per_receipt_are_limited_with_a_clear_429(settings: Any) -> None:
    settings.HOTLINE_MESSAGES_PER_RECEIPT_PER_DAY = 3
    settings.HOTLINE_MESSAGES_PER_HOUR = 100
    receipt = _report(Client(REMOTE_ADDR="192.0.2.10"))
    for n in range(3):  # from different networks: the receipt's own limit holds
        assert _message(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), receipt, n).status_code == 200
    refused = _message(Client(REMOTE_ADDR="203.0.113.5"), receipt, 4)
    assert refused.status_code == 429 and 60 <= int(refused["Retry-After"]) <= 24 * 3600
    page = refused.content.decode()
    assert "Vänta en stund" in page and "Inget sparades" in page  # Swedish, the default language
    english = Client(REMOTE_ADDR="203.0.113.6")
    english.cookies["hotline_language"] = "en"
    page = _message(english, receipt, 5).content.decode()
    assert "Please wait a moment" in page and "Nothing was saved" in page
    assert ReporterMessage.objects.count() == 3
    # Reading the status with the receipt still works.
    assert Client(REMOTE_ADDR="203.0.113.7").post("/report/status/", {"receipt": receipt}).status_code == 200


def test_messages_per_network_are_limited(settings: Any) -> None:
    settings.HOTLINE_MESSAGES_PER_RECEIPT_PER_DAY = 100
    settings.HOTLINE_MESSAGES_PER_HOUR = 4
    receipts = [_report(Client(REMOTE_ADDR=f"192.0.2.{n + 1}")) for n in range(3)]
    client = Client(REMOTE_ADDR="198.51.100.20")
    statuses = [_message(client, receipt, n).status_code for n, receipt in enumerate(receipts * 2)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert ReporterMessage.objects.count() == 4
    # IPv6: the /64 is one network.
    assert _message(Client(REMOTE_ADDR="2001:db8:1:1::1"), receipts[0], 9).status_code == 200
    for n in range(3):
        assert _message(Client(REMOTE_ADDR=f"2001:db8:1:1::{n + 2}"), receipts[1], n).status_code == 200
    assert _message(Client(REMOTE_ADDR="2001:db8:1:1:ffff::9"), receipts[2], 5).status_code == 429
    assert _message(Client(REMOTE_ADDR="2001:db8:1:2::1"), receipts[2], 6).status_code == 200


def test_an_empty_message_is_not_counted(settings: Any) -> None:
    settings.HOTLINE_MESSAGES_PER_RECEIPT_PER_DAY = 1
    client = Client(REMOTE_ADDR="192.0.2.30")
    receipt = _report(client)
    assert client.post("/report/status/", {"receipt": receipt, "message": "   "}).status_code == 200
    assert _message(client, receipt, 1).status_code == 200
    assert _message(client, receipt, 2).status_code == 429
    assert ReporterMessage.objects.count() == 1
