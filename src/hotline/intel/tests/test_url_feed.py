"""Hotline's list of live illegal URLs for internet providers: what is on it, versions that change only when the
set does, removed content leaving at the next version, and the key that reads it."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import CaseState, CloseReason
from hotline.core.models import AuditEntry
from hotline.intel.services import url_feed
from hotline.staff.factories import partner_key

pytestmark = pytest.mark.django_db

KEY = "hlk_feed0001_a-made-up-key-for-the-url-list-tests"
OTHER_KEY = "hlk_feed0002_a-made-up-key-without-the-url-scope"


def test_versions_follow_the_set_of_live_illegal_urls() -> None:
    live = make_assessed_case(host="files.example.test", path="/a")
    make_assessed_case(host="files.example.test", path="/b", verdict="not_csam")
    make_assessed_case(host="files.example.test", path="/c", status="awaiting_review")
    first = url_feed.publish_url_list_version()
    assert first is not None and first.number == 1
    assert json.loads(first.urls) == ["https://files.example.test/a"]
    assert url_feed.publish_url_list_version() is None  # nothing changed: no new version
    live.state, live.close_reason = CaseState.CLOSED, CloseReason.REMOVED
    live.save()
    second = url_feed.publish_url_list_version()
    assert second is not None and second.number == 2 and json.loads(second.urls) == []
    entry = AuditEntry.objects.filter(action="intel.url_list_version.published").order_by("-seq").first()
    assert entry is not None and entry.details["removed"] == 1
    assert "example.test" not in json.dumps(entry.details)


def test_the_feed_is_read_by_key_with_its_version_and_time(client: Any) -> None:
    partner_key(partner="Operator filter", key=KEY, scopes=[url_feed.SCOPE_URL_LIST])
    partner_key(partner="Report app", key=OTHER_KEY)
    make_assessed_case(host="bad.example.test", path="/x=1")
    url_feed.publish_url_list_version()
    assert client.get("/intel/feed/v1/live-urls.json").status_code == 401
    assert client.get("/intel/feed/v1/live-urls.json", HTTP_AUTHORIZATION=f"Bearer {OTHER_KEY}").status_code == 403
    answer = client.get("/intel/feed/v1/live-urls.json", HTTP_AUTHORIZATION=f"Bearer {KEY}")
    body = json.loads(answer.content)
    assert (body["version"], body["count"], body["urls"]) == (1, 1, ["https://bad.example.test/x=1"])
    assert body["generated_at"] and answer["X-List-Version"] == "1"
    assert "no-store" in answer["Cache-Control"] or "no-cache" in answer["Cache-Control"]
    csv = client.get("/intel/feed/v1/live-urls.csv", HTTP_AUTHORIZATION=f"Bearer {KEY}")
    text = b"".join(csv.streaming_content).decode()
    assert "# version 1" in text and "https://bad.example.test/x=1" in text
    reads = AuditEntry.objects.filter(action="intel.url_list_version.read")
    assert reads.count() == 2 and all(KEY not in json.dumps(r.details) for r in reads)


def test_the_key_command_makes_a_key_that_only_reads_the_list(client: Any) -> None:
    out = StringIO()
    call_command("create_url_list_key", "Operator DNS filter", stdout=out)
    key = out.getvalue().rsplit("Key (shown once): ", 1)[1].strip()
    assert client.get("/intel/feed/v1/live-urls.json", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get("/api/v1/reports", HTTP_AUTHORIZATION=f"Bearer {key}").status_code in (403, 405)
