"""The partner API's optional `hashes`: stored as cases.ReportHash with the report, in normal form; each bad hash a
per-field problem that stores nothing; requests without hashes unchanged; Idempotency-Key replays; the OpenAPI
document describes the field with an example."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotline.cases.models import Report, ReportHash
from hotline.core.models import AuditEntry
from hotline.intake.tests.test_api import SMALLEST, assert_problem, post
from hotline.staff import services as staff_services

pytestmark = pytest.mark.django_db

SHA = "AB" * 32  # made-up values; upper case on purpose (stored in lower case)
MD5 = "cd" * 16
PDQ = "ef" * 32


@pytest.fixture
def key() -> str:
    return staff_services.create_partner_key(partner="Operator app", actor="test")[1]


def _stored(report_id: str) -> set[tuple[str, str, int | None]]:
    return set(ReportHash.objects.filter(report__public_id=report_id).values_list("kind", "value", "quality"))


def test_report_with_hashes_stores_them_in_lower_case(client: Client, key: str) -> None:
    hashes = [
        {"type": "sha256", "value": SHA},
        {"type": "md5", "value": MD5},
        {"type": "pdq", "value": PDQ, "quality": 80},
    ]
    response = post(client, "/api/v1/reports", {**SMALLEST, "hashes": hashes}, key)
    assert response.status_code == 201, response.content
    assert _stored(response.json()["id"]) == {("sha256", SHA.lower(), None), ("md5", MD5, None), ("pdq", PDQ, 80)}
    entry = AuditEntry.objects.get(action="report.hashes_stored")
    assert entry.details == {"count": 3, "kinds": {"md5": 1, "pdq": 1, "sha256": 1}}  # counts only, never a value


def test_a_sha1_hash_is_stored_in_lower_case(client: Client, key: str) -> None:
    sha1 = "A9993E364706816ABA3E25717850C26C9CD0D89D"  # made up for the test (RFC 3174's "abc" digest)
    response = post(client, "/api/v1/reports", {**SMALLEST, "hashes": [{"type": "sha1", "value": sha1}]}, key)
    assert response.status_code == 201, response.content
    assert _stored(response.json()["id"]) == {("sha1", sha1.lower(), None)}
    short = post(client, "/api/v1/reports", {**SMALLEST, "hashes": [{"type": "sha1", "value": sha1[:32]}]}, key)
    assert short.status_code == 422


def test_report_without_hashes_is_unchanged(client: Client, key: str) -> None:
    response = post(client, "/api/v1/reports", SMALLEST, key)
    assert response.status_code == 201 and not ReportHash.objects.exists()
    response = post(client, "/api/v1/reports", {**SMALLEST, "hashes": []}, key)
    assert response.status_code == 201 and not ReportHash.objects.exists()
    assert not AuditEntry.objects.filter(action="report.hashes_stored").exists()


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"type": "md5", "value": "12" * 15}, "hashes.1", "32 hexadecimal digits"),
        ({"type": "sha256", "value": "zz" * 32}, "hashes.1", "64 hexadecimal digits"),
        ({"type": "crc32", "value": "12345678"}, "hashes.1.type", "'md5', 'sha1', 'sha256' or 'pdq'"),
        ({"type": "md5", "value": MD5, "quality": 50}, "hashes.1", "Only a PDQ hash has a quality"),
        ({"type": "pdq", "value": PDQ, "quality": 101}, "hashes.1.quality", "100"),
        ({"type": "md5"}, "hashes.1.value", "required"),
        ({"type": "md5", "value": MD5, "colour": "x"}, "hashes.1.colour", "Unknown field"),
    ],
)
def test_each_bad_hash_is_a_field_problem_and_nothing_is_stored(
    client: Client, key: str, bad: dict[str, Any], field: str, words: str
) -> None:
    payload = {**SMALLEST, "hashes": [{"type": "sha256", "value": SHA}, bad]}
    body = assert_problem(post(client, "/api/v1/reports", payload, key), 422)
    assert [e["field"] for e in body["errors"]] == [field], body
    assert words in body["errors"][0]["detail"]
    assert body["errors"][0]["pointer"] == "/" + field.replace(".", "/")
    assert not Report.objects.exists() and not ReportHash.objects.exists()


def test_at_most_100_hashes_a_report(client: Client, key: str) -> None:
    many = [{"type": "md5", "value": f"{i:032x}"} for i in range(101)]
    body = assert_problem(post(client, "/api/v1/reports", {**SMALLEST, "hashes": many}, key), 422)
    assert body["errors"][0]["field"] == "hashes" and "100" in body["errors"][0]["detail"]
    assert not Report.objects.exists()
    response = post(client, "/api/v1/reports", {**SMALLEST, "hashes": many[:100]}, key)
    assert response.status_code == 201 and ReportHash.objects.count() == 100


def test_the_same_hash_twice_is_stored_once(client: Client, key: str) -> None:
    twice = [{"type": "sha256", "value": SHA}, {"type": "sha256", "value": SHA.lower()}]
    response = post(client, "/api/v1/reports", {**SMALLEST, "hashes": twice}, key)
    assert response.status_code == 201 and _stored(response.json()["id"]) == {("sha256", SHA.lower(), None)}


def test_batch_stores_each_reports_hashes_and_a_bad_one_stores_nothing(client: Client, key: str) -> None:
    reports = [
        {**SMALLEST, "hashes": [{"type": "md5", "value": MD5}]},
        SMALLEST,
        {**SMALLEST, "hashes": [{"type": "pdq", "value": PDQ, "quality": 70}]},
    ]
    response = post(client, "/api/v1/reports/batch", {"reports": reports}, key)
    assert response.status_code == 201, response.content
    ids = [r["id"] for r in response.json()["reports"]]
    assert [_stored(i) for i in ids] == [{("md5", MD5, None)}, set(), {("pdq", PDQ, 70)}]

    bad = [SMALLEST, {**SMALLEST, "hashes": [{"type": "md5", "value": MD5}, {"type": "md5", "value": "x"}]}]
    body = assert_problem(post(client, "/api/v1/reports/batch", {"reports": bad}, key), 422)
    assert [e["field"] for e in body["errors"]] == ["reports.1.hashes.1"]
    assert Report.objects.count() == 3 and ReportHash.objects.count() == 2


def test_idempotency_key_replays_without_storing_hashes_again(client: Client, key: str) -> None:
    payload = {**SMALLEST, "hashes": [{"type": "md5", "value": MD5}]}
    first = post(client, "/api/v1/reports", payload, key, HTTP_IDEMPOTENCY_KEY="hash-retry-1")
    again = post(client, "/api/v1/reports", payload, key, HTTP_IDEMPOTENCY_KEY="hash-retry-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Report.objects.count() == 1 and ReportHash.objects.count() == 1
    other = {**SMALLEST, "hashes": [{"type": "md5", "value": "ab" * 16}]}
    assert_problem(post(client, "/api/v1/reports", other, key, HTTP_IDEMPOTENCY_KEY="hash-retry-1"), 422)
    assert ReportHash.objects.count() == 1


def test_openapi_document_describes_hashes_with_an_example(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    report = schema["components"]["schemas"]["ReportIn"]
    hashes = report["properties"]["hashes"]
    assert hashes["maxItems"] == 100 and "hashes" not in report.get("required", [])
    assert hashes["items"] == {"$ref": "#/components/schemas/HashIn"}
    item = schema["components"]["schemas"]["HashIn"]
    assert item["properties"]["type"]["enum"] == ["md5", "sha1", "sha256", "pdq"]
    assert set(item["required"]) == {"type", "value"}
    example = hashes["examples"][0]
    assert {h["type"] for h in example} == {"md5", "sha256", "pdq"}
    docs = client.get("/api/docs").content.decode()  # the reference page is drawn from the same document
    assert "HashIn" in docs and "own quality score, 0 to 100" in docs


def test_the_documented_example_is_accepted(client: Client, key: str) -> None:
    schema = client.get("/api/openapi.json").json()
    example = schema["components"]["schemas"]["ReportIn"]["properties"]["hashes"]["examples"][0]
    response = post(client, "/api/v1/reports", {**SMALLEST, "hashes": example}, key)
    assert response.status_code == 201 and ReportHash.objects.count() == 3


def test_hash_problems_follow_accept_language(client: Client, key: str) -> None:
    payload = {**SMALLEST, "hashes": [{"type": "md5", "value": "12"}]}
    english = assert_problem(post(client, "/api/v1/reports", payload, key), 422)
    swedish = assert_problem(post(client, "/api/v1/reports", payload, key, HTTP_ACCEPT_LANGUAGE="sv"), 422)
    assert english["errors"][0]["detail"].startswith("MD5 hashes are 32 hexadecimal digits")
    assert swedish["errors"][0]["detail"].startswith("Ett MD5-hashvärde består av 32 hexadecimala tecken")
