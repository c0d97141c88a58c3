"""From the public own-images page to the self-reported list, through the real intake and the real worker: the
hashes a young person's device computed are listed, and a later report of the same image is recognised."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction

from hotline.cases import services as case_services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, Channel, ReportKind
from hotline.cases.rules import HashInput
from hotline.intel.models import SELF_REPORTED_KEY, HashEntry, HashList, ListMatch

SHA = "5a" * 32
MD5 = "6b" * 16
PDQ = "7c" * 32


@pytest.mark.django_db(transaction=True)
def test_own_images_hashes_reach_the_self_reported_list_and_later_reports_match(client: Any, run_tasks: Any) -> None:
    cache.clear()
    answer = client.post(
        "/report/own-images/",
        {"hashes": json.dumps([{"sha256": SHA, "md5": MD5, "pdq": PDQ, "quality": 90}]), "message": ""},
    )
    assert answer.status_code == 303 and answer["Location"].startswith("/report/thanks/")  # stored, receipt next
    run_tasks()  # triage (and the index build it queues)
    listed = HashList.objects.get(system_key=SELF_REPORTED_KEY)
    assert set(HashEntry.objects.filter(hash_list=listed).values_list("hash_type", "value")) == {
        ("sha256", SHA),
        ("md5", MD5),
        ("pdq", PDQ),
    }
    with transaction.atomic():
        report = store_report(channel=Channel.API, kind=ReportKind.OTHER, source_name="platform", description="x")
        case_services.store_report_hashes(report=report, hashes=[HashInput("md5", MD5)], actor="test")
    result = case_services.triage_report(report_id=report.pk)
    match = ListMatch.objects.get(report_id=report.pk)
    assert match.hash_list == listed and match.case_id == result.case_ids[0]
    assert Case.objects.get(pk=match.case_id).hash_list_match
