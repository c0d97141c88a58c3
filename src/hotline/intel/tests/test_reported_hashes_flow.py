"""Hashes that arrive with a partner API report, through the real request stack and the real worker: a report whose
hash is on an enabled hash list is matched at triage, and the case page says so. (The network forward's twin is in
network's tests, the layer above.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from hotline.cases.models import Case, Report
from hotline.intel import services
from hotline.intel.models import ListMatch
from hotline.intel.tests.conftest import write
from hotline.staff import services as staff_services

SHA = "3c" * 32  # made-up
MD5 = "4d" * 16


def _enabled_list(tmp_path: Path) -> Any:
    hash_list = services.create_hash_list(
        name="Partner list", source="partner", trust_level="verified", classification="csam_baseline", actor="test"
    )
    path = write(tmp_path / "list.csv", f"type,hash\nsha256,{SHA}\nmd5,{MD5}\n")
    outcome = services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    assert not outcome.refused and hash_list.enabled
    return hash_list


def _case_of(report: Report) -> Case:
    match = ListMatch.objects.get(report_id=report.pk)
    return Case.objects.get(pk=match.case_id)


@pytest.mark.django_db(transaction=True)
def test_a_partner_api_report_with_a_listed_hash_matches_at_triage(
    client: Any, run_tasks: Any, tmp_path: Path, staff_client: Any
) -> None:
    cache.clear()
    hash_list = _enabled_list(tmp_path)
    key = staff_services.create_partner_key(partner="Operator app", actor="test")[1]
    body = {
        "kind": "online_material",
        "urls": ["https://files.example.test/item/1"],
        "hashes": [{"type": "sha256", "value": SHA.upper()}, {"type": "md5", "value": "5e" * 16}],
    }
    answer = client.post(
        "/api/v1/reports", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert answer.status_code == 201, answer.content
    report = Report.objects.get(public_id=answer.json()["id"])
    assert not ListMatch.objects.exists()  # nothing is matched before triage runs
    run_tasks()  # triage and the index build it queues, with the real worker code
    match = ListMatch.objects.get(report_id=report.pk)
    assert match.hash_list == hash_list and match.distance == 0
    case = _case_of(report)
    assert case.hash_list_match
    page = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    assert "list-matches-heading" in page and "Partner list" in page
