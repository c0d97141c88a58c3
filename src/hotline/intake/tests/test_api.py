"""The partner API: the smallest request, idempotency, batches, status of own reports, every problem type."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.cases.models import Channel, Report, ReportedUrl
from hotline.intake.models import IdempotencyRecord
from hotline.staff import services as staff_services

pytestmark = pytest.mark.django_db

SMALLEST = {"kind": "online_material", "urls": ["https://host.example/path"]}


@pytest.fixture
def partner() -> tuple[Any, str]:
    return staff_services.create_partner_key(partner="Operator app", actor="test")


def post(client: Client, path: str, body: Any, key: str | None, **headers: str) -> Any:
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    content_type = headers.pop("content_type", "application/json")
    return client.post(path, data=data, content_type=content_type, **headers)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("/api/docs#")
    return body


def test_smallest_valid_request(client: Client, partner: Any) -> None:
    key_record, key = partner
    response = post(client, "/api/v1/reports", SMALLEST, key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received" and body["id"]
    report = Report.objects.get(public_id=body["id"])
    assert report.channel == Channel.API and report.source_name == "Operator app"
    assert report.partner_key == key_record and report.receipt_index == ""
    assert [u.url for u in report.urls.all()] == ["https://host.example/path"]
    assert DBTaskResult.objects.filter(args_kwargs__args=[report.pk]).count() == 1


def test_report_without_urls_needs_description(client: Client, partner: Any) -> None:
    body = assert_problem(post(client, "/api/v1/reports", {"kind": "grooming"}, partner[1]), 422)
    assert body["errors"][0]["field"] == "description"
    response = post(client, "/api/v1/reports", {"kind": "grooming", "description": "A chat in a game."}, partner[1])
    assert response.status_code == 201


def test_validation_problems_name_each_field(client: Client, partner: Any) -> None:
    payload = {"kind": "online_material", "urls": ["https://ok.example/", "http://192.168.1.1/x", "nonsense"]}
    body = assert_problem(post(client, "/api/v1/reports", payload, partner[1]), 422)
    pointers = {e["pointer"]: e["detail"] for e in body["errors"]}
    assert set(pointers) == {"/urls/1", "/urls/2"}
    assert "private" in pointers["/urls/1"]
    body = assert_problem(post(client, "/api/v1/reports", {"kind": "weather", "urls": []}, partner[1]), 422)
    assert body["errors"][0]["pointer"] == "/kind"
    body = assert_problem(post(client, "/api/v1/reports", {**SMALLEST, "colour": "red"}, partner[1]), 422)
    assert body["errors"][0]["pointer"] == "/colour"
    assert Report.objects.count() == 0


def test_idempotency_key_replays_the_first_answer(client: Client, partner: Any) -> None:
    first = post(client, "/api/v1/reports", SMALLEST, partner[1], HTTP_IDEMPOTENCY_KEY="abc-1")
    again = post(client, "/api/v1/reports", SMALLEST, partner[1], HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    other = {"kind": "online_material", "urls": ["https://other.example/"]}
    body = assert_problem(post(client, "/api/v1/reports", other, partner[1], HTTP_IDEMPOTENCY_KEY="abc-1"), 422)
    assert body["type"].endswith("idempotency-key-reused")
    assert post(client, "/api/v1/reports", SMALLEST, partner[1], HTTP_IDEMPOTENCY_KEY="abc-2").status_code == 201
    assert Report.objects.count() == 2


def test_idempotency_keys_are_per_partner(client: Client, partner: Any) -> None:
    _, other_key = staff_services.create_partner_key(partner="Platform safety team", actor="test")
    assert post(client, "/api/v1/reports", SMALLEST, partner[1], HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert post(client, "/api/v1/reports", SMALLEST, other_key, HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    assert Report.objects.count() == 2


def test_batch_is_all_or_nothing(client: Client, partner: Any) -> None:
    good = [
        {"kind": "online_material", "urls": [f"https://host.example/{i}", f"https://cdn.example/{i}"]} for i in range(5)
    ]
    bad = [*good[:2], {"kind": "online_material", "urls": ["http://localhost/"]}, *good[2:]]
    body = assert_problem(post(client, "/api/v1/reports/batch", {"reports": bad}, partner[1]), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/reports/2/urls/0"]
    assert Report.objects.count() == 0 and DBTaskResult.objects.count() == 0
    response = post(client, "/api/v1/reports/batch", {"reports": good}, partner[1], HTTP_IDEMPOTENCY_KEY="b1")
    assert response.status_code == 201
    created = response.json()
    assert created["count"] == 5 and len({r["id"] for r in created["reports"]}) == 5
    reports = list(Report.objects.order_by("pk"))
    assert [str(r.public_id) for r in reports] == [r["id"] for r in created["reports"]]
    assert ReportedUrl.objects.count() == 10
    tasks = DBTaskResult.objects.all()
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == [r.pk for r in reports]
    assert {t.task_path for t in tasks} == {"hotline.cases.tasks.triage_reports"}
    replay = post(client, "/api/v1/reports/batch", {"reports": good}, partner[1], HTTP_IDEMPOTENCY_KEY="b1")
    assert replay.json() == created and Report.objects.count() == 5


def test_batch_size_limit(client: Client, partner: Any, settings: Any) -> None:
    body = assert_problem(post(client, "/api/v1/reports/batch", {"reports": []}, partner[1]), 422)
    assert body["errors"][0]["pointer"] == "/reports"
    too_many = {"reports": [SMALLEST] * 1001}
    assert_problem(post(client, "/api/v1/reports/batch", too_many, partner[1]), 422)
    assert Report.objects.count() == 0


def test_status_of_own_reports_only(client: Client, partner: Any) -> None:
    created = post(client, "/api/v1/reports", SMALLEST, partner[1]).json()
    response = client.get(f"/api/v1/reports/{created['id']}", HTTP_AUTHORIZATION=f"Bearer {partner[1]}")
    assert response.status_code == 200
    assert response.json() == {"id": created["id"], "status": "received", "received_at": response.json()["received_at"]}
    # A second key of the same partner sees it; another partner does not learn it exists.
    _, second = staff_services.create_partner_key(partner="Operator app", actor="test")
    assert client.get(f"/api/v1/reports/{created['id']}", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    _, stranger = staff_services.create_partner_key(partner="Someone else", actor="test")
    assert_problem(client.get(f"/api/v1/reports/{created['id']}", HTTP_AUTHORIZATION=f"Bearer {stranger}"), 404)
    assert_problem(client.get("/api/v1/reports/not-a-uuid", HTTP_AUTHORIZATION=f"Bearer {stranger}"), 422)


def test_malformed_json_is_400(client: Client, partner: Any) -> None:
    assert_problem(post(client, "/api/v1/reports", b'{"kind": ', partner[1]), 400)
    assert_problem(post(client, "/api/v1/reports", b"[" * 100_000, partner[1]), 400)
    assert_problem(post(client, "/api/v1/reports", b"\xff\xfe\x00", partner[1]), 400)


def test_missing_or_unknown_key_is_401(client: Client) -> None:
    body = assert_problem(post(client, "/api/v1/reports", SMALLEST, None), 401)
    assert "Bearer" in body["detail"]
    response = post(client, "/api/v1/reports", SMALLEST, "hlk_nothing_here")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_problem(
        client.post("/api/v1/reports", SMALLEST, content_type="application/json", HTTP_AUTHORIZATION="Basic eA=="), 401
    )


def test_revoked_key_is_403(client: Client, partner: Any) -> None:
    staff_services.revoke_partner_key(key=partner[0], actor="test")
    body = assert_problem(post(client, "/api/v1/reports", SMALLEST, partner[1]), 403)
    assert body["type"].endswith("revoked")


def test_key_without_scope_is_403(client: Client) -> None:
    _, key = staff_services.create_partner_key(partner="Reader", actor="test", scopes=["reports:read"])
    assert_problem(post(client, "/api/v1/reports", SMALLEST, key), 403)


def test_body_too_large_is_413(client: Client, partner: Any, settings: Any) -> None:
    settings.HOTLINE_API_MAX_BODY_BYTES = 1000
    big = {"kind": "other", "description": "x" * 2000}
    assert_problem(post(client, "/api/v1/reports", big, partner[1]), 413)
    settings.HOTLINE_API_MAX_BODY_BYTES = None
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert_problem(post(client, "/api/v1/reports", big, partner[1]), 413)


def test_wrong_content_type_is_415(client: Client, partner: Any) -> None:
    response = post(client, "/api/v1/reports", "kind=online_material", partner[1], content_type="text/plain")
    assert_problem(response, 415)
    response = post(client, "/api/v1/reports", "kind=x", partner[1], content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)


def test_rate_limit_is_429_with_retry_after(client: Client, partner: Any, settings: Any) -> None:
    settings.HOTLINE_API_REQUESTS_PER_MINUTE = 2
    assert post(client, "/api/v1/reports", SMALLEST, partner[1]).status_code == 201
    assert post(client, "/api/v1/reports", SMALLEST, partner[1]).status_code == 201
    response = post(client, "/api/v1/reports", SMALLEST, partner[1])
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_invalid_requests_count_toward_the_rate_limit(client: Client, partner: Any, settings: Any) -> None:
    settings.HOTLINE_API_REQUESTS_PER_MINUTE = 3
    invalid_report = json.dumps({"kind": "online_material"}).encode()  # no URL and no description
    invalid_schema = json.dumps({"kind": "not-a-kind", "urls": ["https://host.example/"]}).encode()
    invalid_batch = json.dumps({"reports": [{"kind": "online_material"}]}).encode()
    assert_problem(post(client, "/api/v1/reports", invalid_report, partner[1]), 422)
    assert_problem(post(client, "/api/v1/reports", invalid_schema, partner[1]), 422)
    assert_problem(post(client, "/api/v1/reports/batch", invalid_batch, partner[1]), 422)
    response = post(client, "/api/v1/reports", SMALLEST, partner[1])
    assert_problem(response, 429)  # three refused requests used up the minute


def test_strange_text_is_422_not_500(client: Client, partner: Any) -> None:
    for payload in (
        {"kind": "other", "description": "nul \u0000 inside"},
        {"kind": "other", "description": "\ud800 lone surrogate"},
        {"kind": "online_material", "urls": ["https://host.example/\ud800"]},
        {"kind": "other", "description": "ok", "language": "\u0000"},
        {"kind": "other", "description": "ok", "reporter_classification": "a b"},
    ):
        raw = json.dumps(payload).encode()
        assert_problem(post(client, "/api/v1/reports", raw, partner[1]), 422)


def test_openapi_and_docs_are_public(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/v1/reports", "/api/v1/reports/batch", "/api/v1/reports/{report_id}"} <= set(schema["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/v1/reports/batch" in docs.content and b"<script" not in docs.content


def test_messages_follow_accept_language(client: Client, partner: Any) -> None:
    payload = {"kind": "online_material", "urls": ["http://10.0.0.1/"]}
    english = assert_problem(post(client, "/api/v1/reports", payload, partner[1]), 422)
    swedish = assert_problem(post(client, "/api/v1/reports", payload, partner[1], HTTP_ACCEPT_LANGUAGE="sv-SE"), 422)
    assert "private" in english["errors"][0]["detail"] and "privat eller lokalt" in swedish["errors"][0]["detail"]
    assert (english["title"], swedish["title"]) == ("Validation failed", "Kontrollen misslyckades")
    assert english["detail"].startswith("The report") and swedish["detail"].startswith("Rapporten")


@pytest.mark.parametrize(
    ("request_kwargs", "status", "english", "swedish"),
    [
        ({"key": None}, 401, "Send your API key", "Skicka din API-nyckel"),
        ({"body": "{not json"}, 400, "The body is not valid JSON.", "Innehållet i begäran är inte giltig JSON."),
        ({"content_type": "text/plain"}, 415, "Send the body as JSON", "Skicka innehållet som JSON"),
        ({"body": {"kind": "other"}, "path": "/api/v1/reports/batch"}, 422, "The request is not valid",
         "Begäran är inte giltig"),
    ],
)  # fmt: skip
def test_every_problem_is_in_english_unless_swedish_is_asked_for(
    client: Client, partner: Any, request_kwargs: dict[str, Any], status: int, english: str, swedish: str
) -> None:
    """The site's default language is Swedish; the API answers developers in English unless asked."""
    options = {"key": partner[1], "body": SMALLEST, "path": "/api/v1/reports", **request_kwargs}
    extra = {"content_type": options["content_type"]} if "content_type" in options else {}

    def send(**headers: str) -> dict[str, Any]:
        return assert_problem(
            post(client, options["path"], options["body"], options["key"], **extra, **headers), status
        )

    client.cookies["hotline_language"] = "sv"  # a staff member's language choice does not leak in
    assert send()["detail"].startswith(english)
    assert send(HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9")["detail"].startswith(swedish)
    assert send(HTTP_ACCEPT_LANGUAGE="en-GB")["detail"].startswith(english)


def test_an_unknown_report_is_a_problem_in_the_partners_language(client: Client, partner: Any) -> None:
    path = "/api/v1/reports/00000000-0000-4000-8000-000000000000"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {partner[1]}"}
    english = assert_problem(client.get(path, **auth), 404)
    swedish = assert_problem(client.get(path, **auth, HTTP_ACCEPT_LANGUAGE="sv"), 404)
    assert (english["title"], swedish["title"]) == ("Not found", "Hittades inte")
    assert swedish["detail"] == "Din organisation har inte skickat någon rapport med det här id:t."


def test_a_key_revoked_after_use_is_refused_at_once(client: Client, partner: Any) -> None:
    """Writes may find the key in the per-process cache: the write itself refuses a revoked key."""
    key_record, key = partner
    assert post(client, "/api/v1/reports", SMALLEST, key).status_code == 201  # the key is now cached
    batch = {"reports": [SMALLEST, SMALLEST]}
    assert post(client, "/api/v1/reports/batch", batch, key, HTTP_IDEMPOTENCY_KEY="b-1").status_code == 201
    # Revoked elsewhere (another process, a direct update): this process's cache is not told.
    type(key_record).objects.filter(pk=key_record.pk).update(revoked_at=timezone.now())
    before = (Report.objects.count(), ReportedUrl.objects.count(), DBTaskResult.objects.count())
    assert assert_problem(post(client, "/api/v1/reports", SMALLEST, key), 403)["type"].endswith("revoked")
    assert assert_problem(post(client, "/api/v1/reports/batch", batch, key), 403)["type"].endswith("revoked")
    replay = post(client, "/api/v1/reports/batch", batch, key, HTTP_IDEMPOTENCY_KEY="b-1")
    assert assert_problem(replay, 403)["type"].endswith("revoked")
    assert_problem(client.get("/api/v1/reports/00000000-0000-0000-0000-000000000000",
                              HTTP_AUTHORIZATION=f"Bearer {key}"), 403)  # fmt: skip
    assert (Report.objects.count(), ReportedUrl.objects.count(), DBTaskResult.objects.count()) == before


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_address_the_api_does_not_have_is_a_problem(client: Client, method: str) -> None:
    assert_problem(getattr(client, method)("/api/"), 404)  # ninja's own root view
    english = assert_problem(getattr(client, method)("/api/v1/report"), 404)
    swedish = assert_problem(getattr(client, method)("/api/v2/reports", HTTP_ACCEPT_LANGUAGE="sv"), 404)
    assert english["type"].endswith("not-found") and "/api/docs" in english["detail"]
    assert swedish["title"] == "Hittades inte"


def test_a_method_an_address_does_not_take_is_a_problem(client: Client, partner: Any) -> None:
    response = client.get("/api/v1/reports", HTTP_AUTHORIZATION=f"Bearer {partner[1]}")
    body = assert_problem(response, 405)
    assert response["Allow"] == "POST" and body["type"].endswith("method") and "POST" in body["detail"]
    swedish = assert_problem(client.delete("/api/v1/reports/batch", HTTP_ACCEPT_LANGUAGE="sv"), 405)
    assert swedish["title"] == "Metoden är inte tillåten"
    # Everything else the API answers is unchanged.
    assert client.get("/api/openapi.json")["Content-Type"].startswith("application/json")
    assert post(client, "/api/v1/reports", SMALLEST, partner[1]).status_code == 201


def test_a_batch_problem_counts_in_words_that_fit(client: Client, partner: Any) -> None:
    bad = {"kind": "online_material", "urls": ["http://10.0.0.1/"]}
    one = assert_problem(post(client, "/api/v1/reports/batch", {"reports": [SMALLEST, bad]}, partner[1]), 422)
    two = assert_problem(
        post(client, "/api/v1/reports/batch", {"reports": [bad, bad]}, partner[1], HTTP_ACCEPT_LANGUAGE="sv"), 422
    )
    assert one["detail"].startswith("1 report in the batch is not valid")
    assert two["detail"].startswith("2 rapporter i satsen är inte giltiga")


def test_domain_errors_become_the_same_problems_through_the_one_handler(
    client: Client, partner: Any, settings: Any
) -> None:
    """Refused scope, revoked key, reused Idempotency-Key and an unknown report: one handler, the bodies
    (type, title, detail) and the counting of refused writes as they always were."""
    settings.HOTLINE_API_REQUESTS_PER_MINUTE = 2
    _, reader = staff_services.create_partner_key(partner="Reader", actor="test", scopes=["reports:read"])
    assert assert_problem(post(client, "/api/v1/reports", SMALLEST, reader), 403) == {
        "type": "/api/docs#problem-forbidden",
        "title": "Not allowed",
        "status": 403,
        "detail": "This API key does not have the scope 'reports:create'.",
    }
    unknown = client.get("/api/v1/reports/00000000-0000-4000-8000-000000000000", HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert assert_problem(unknown, 404)["type"] == "/api/docs#problem-not-found"

    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    assert post(client, "/api/v1/reports", SMALLEST, partner[1], **headers).status_code == 201
    other = {**SMALLEST, "description": "Another report."}
    reused = assert_problem(post(client, "/api/v1/reports", other, partner[1], **headers), 422)
    assert reused["type"] == "/api/docs#problem-idempotency-key-reused"
    assert reused["detail"].startswith("This Idempotency-Key was already used for a different request.")
    assert_problem(post(client, "/api/v1/reports", SMALLEST, partner[1]), 429)  # the reused key counted

    key_record, key = staff_services.create_partner_key(partner="Gone", actor="test")
    staff_services.revoke_partner_key(key=key_record, actor="test")
    for _ in range(4):  # a revoked key is refused every time, never counted into a 429
        assert assert_problem(post(client, "/api/v1/reports", SMALLEST, key), 403) == {
            "type": "/api/docs#problem-revoked",
            "title": "Not allowed",
            "status": 403,
            "detail": "This API key has been revoked. Ask the hotline for a new key.",
        }


def test_a_database_that_cannot_be_reached_is_503_to_resend_not_500(
    client: Client, partner: Any, monkeypatch: Any
) -> None:
    """As while PostgreSQL restarts (found by tests/resilience): a moment of unavailability, not a server fault."""
    from django.db import OperationalError

    from hotline.intake import services

    def refused(**kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(services, "submit_partner_report", refused)
    _, key = partner
    response = post(client, "/api/v1/reports", {"kind": "online_material", "urls": ["https://a.example/x"]}, key)
    body = assert_problem(response, 503)
    assert response["Retry-After"] == "30"
    assert body["type"].endswith("#problem-unavailable") and "Idempotency-Key" in body["detail"]
    assert Report.objects.count() == 0
