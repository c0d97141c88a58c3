"""A network forward's hashes, through the real inbox and the real worker: they are stored as cases.ReportHash
with the report and matched against an enabled hash list (intel) at triage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from hotline.cases.models import Case, Channel, Report, ReportHash
from hotline.intel import services
from hotline.intel.models import ListMatch
from hotline.intel.services import index
from hotline.network.factories import as_client_headers, network_partner, own_identity, signed_delivery
from hotline.network.protocol import HashValue, build_report_forward

SHA = "3c" * 32  # made-up
MD5 = "4d" * 16


@pytest.fixture(autouse=True)
def _intel_files(settings: Any, tmp_path: Path) -> Any:
    settings.HOTLINE_PDQ_INDEX_FILE = str(tmp_path / "intel" / "pdq.index")
    settings.HOTLINE_INTEL_IMPORT_DIR = str(tmp_path / "intel" / "imports")
    index.install(None)
    yield
    index.install(None)


def _enabled_list(tmp_path: Path) -> Any:
    hash_list = services.create_hash_list(
        name="Partner list", source="partner", trust_level="verified", classification="csam_baseline", actor="test"
    )
    path = tmp_path / "list.csv"
    path.write_text(f"type,hash\nsha256,{SHA}\nmd5,{MD5}\n", encoding="utf-8")
    outcome = services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    assert not outcome.refused and hash_list.enabled
    return hash_list


@pytest.mark.django_db(transaction=True)
def test_a_network_forwards_hashes_reach_report_hash_and_match_at_triage(
    client: Any, run_tasks: Any, tmp_path: Path
) -> None:
    own_identity(code="SE-ECPAT", countries="SE", base_url="http://127.0.0.1:8000")
    _partner, key = network_partner(code="NL-EXAMPLE", countries="NL")
    hash_list = _enabled_list(tmp_path)
    message = build_report_forward(
        sender="NL-EXAMPLE",
        recipient="SE-ECPAT",
        case_reference="R-NLHASH0001",
        first_reported_at=timezone.now() - timedelta(hours=1),
        urls=["https://files.example.test/album/77"],
        kind="online_material",
        classification="csam_baseline",
        site_type="file_host",
        hosting=[],
        hashes=[HashValue(type="md5", value=MD5)],
    )
    headers, body = signed_delivery(message, key=key, receiver_base_url="http://127.0.0.1:8000")
    answer = client.generic(
        "POST", "/network/v1/inbox", body, content_type="application/json", **as_client_headers(headers)
    )
    assert answer.status_code == 200, answer.content
    report = Report.objects.get(channel=Channel.NETWORK)
    assert list(ReportHash.objects.filter(report=report).values_list("kind", "value")) == [("md5", MD5)]
    run_tasks()
    assert ListMatch.objects.get(report_id=report.pk).hash_list == hash_list
    assert Case.objects.get(pk=ListMatch.objects.get(report_id=report.pk).case_id).hash_list_match
