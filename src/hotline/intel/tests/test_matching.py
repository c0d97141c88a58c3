"""Matching at triage: exact hashes, PDQ near matches against the index the worker builds, known URLs and whole
sites; the case's priority, its page, the confirmation without exposure; own-images hashes on the self-reported
list; and the index swap while searches run in other threads."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.db import transaction
from django.utils import translation

from hotline.cases import selectors as case_selectors
from hotline.cases import services as case_services
from hotline.cases.factories import store_report
from hotline.cases.models import Assessment, Case, CaseEvent, Channel, ExposureSession, ReportKind
from hotline.cases.rules import HashInput
from hotline.core.models import AuditEntry
from hotline.intel import services
from hotline.intel.core.pdqindex import PdqIndex, pack_pdq_hex
from hotline.intel.models import SELF_REPORTED_KEY, HashEntry, HashList, ListMatch, MatchKind
from hotline.intel.services import index as index_service
from hotline.intel.tests.conftest import write

pytestmark = pytest.mark.django_db

SHA = "12" * 32
PDQ = "f0" * 32


def _flip(hex_value: str, bits: int, seed: int = 1) -> str:
    """The PDQ hash with `bits` distinct bits flipped."""
    number = int(hex_value, 16)
    for bit in random.Random(seed).sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


def _hash_list(tmp_path: Path, rows: str, *, name: str = "Partner", classification: str = "csam_baseline") -> HashList:
    hash_list = services.create_hash_list(
        name=name, source="partner", trust_level="verified", classification=classification, actor="test"
    )
    path = write(tmp_path / f"{name}.csv", "type,hash\n" + rows)
    outcome = services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    assert not outcome.refused
    return hash_list


def _report_with_hashes(hashes: list[dict[str, Any]], *, channel: str = Channel.OWN_IMAGES) -> Any:
    with transaction.atomic():
        report = store_report(channel=channel, kind=ReportKind.OTHER, description="own images")
        case_services.store_report_hashes(report=report, hashes=[HashInput(**h) for h in hashes], actor="test")
    return report


def _triage(report: Any) -> Case:
    result = case_services.triage_report(report_id=report.pk)
    return Case.objects.get(pk=result.case_ids[0])


def test_an_exact_hash_match_raises_priority_and_says_so(tmp_path: Path) -> None:
    _hash_list(tmp_path, f"sha256,{SHA}\n")
    plain = _triage(_report_with_hashes([{"kind": "sha256", "value": "34" * 32}]))
    case = _triage(_report_with_hashes([{"kind": "sha256", "value": SHA}]))
    match = ListMatch.objects.get(case=case)
    assert (match.kind, match.distance, match.list_name, match.classification) == (
        MatchKind.HASH,
        0,
        "Partner",
        "csam_baseline",
    )
    assert case.hash_list_match and not plain.hash_list_match
    assert case.priority >= plain.priority + 350
    event = CaseEvent.objects.get(case=case, kind="list_match")
    assert event.details["lists"] == ["Partner"] and SHA not in str(event.details)
    audit = AuditEntry.objects.get(action="intel.lists_matched")
    assert SHA not in str(audit.details)
    # The priority survives the periodic refresh (it reads the case's own flag).
    case_services.refresh_priorities()
    case.refresh_from_db()
    assert case.priority >= plain.priority + 350


def test_pdq_matches_within_the_threshold_through_the_built_index(tmp_path: Path, settings: Any) -> None:
    _hash_list(tmp_path, f"pdq,{PDQ}\n")
    index_service.rebuild_and_install()
    near = _triage(_report_with_hashes([{"kind": "pdq", "value": _flip(PDQ, 31), "quality": 90}]))
    far = _triage(_report_with_hashes([{"kind": "pdq", "value": _flip(PDQ, 32), "quality": 90}]))
    match = ListMatch.objects.get(case=near)
    assert (match.kind, match.distance) == (MatchKind.PDQ, 31)
    with translation.override("en"):
        assert services.match_summary(match) == "Known material: match to list Partner (distance 31)."
    assert not ListMatch.objects.filter(case=far).exists()
    settings.HOTLINE_PDQ_THRESHOLD = 32
    farther = _triage(_report_with_hashes([{"kind": "pdq", "value": _flip(PDQ, 32, seed=2), "quality": 90}]))
    assert ListMatch.objects.get(case=farther).distance == 32


def test_a_pdq_entry_not_yet_in_the_index_still_matches_exactly(tmp_path: Path) -> None:
    _hash_list(tmp_path, f"pdq,{PDQ}\n")  # the worker has not built the index yet
    case = _triage(_report_with_hashes([{"kind": "pdq", "value": PDQ}]))
    assert ListMatch.objects.get(case=case).distance == 0


def test_a_disabled_list_does_not_match_even_from_a_stale_index(tmp_path: Path) -> None:
    hash_list = _hash_list(tmp_path, f"pdq,{PDQ}\nsha256,{SHA}\n")
    index_service.rebuild_and_install()
    services.set_hash_list_enabled(hash_list=hash_list, enabled=False, actor="t")  # index not rebuilt yet
    case = _triage(_report_with_hashes([{"kind": "pdq", "value": _flip(PDQ, 5)}, {"kind": "sha256", "value": SHA}]))
    assert not ListMatch.objects.filter(case=case).exists()
    assert not case.hash_list_match


def test_known_urls_match_by_canonical_url_and_by_site_where_the_list_says_so(tmp_path: Path) -> None:
    exact = services.create_url_list(
        name="URL list",
        trust_level="verified",
        classification="csam_baseline",
        match_registered_domain=False,
        actor="t",
    )
    sites = services.create_url_list(
        name="Site list", trust_level="partner", classification="csam_national", match_registered_domain=True, actor="t"
    )
    services.import_url_file(
        url_list=exact,
        path=write(tmp_path / "u.csv", "URL,Category,Date\nHTTPS://Files.Example.test/a/1?utm_source=x,A,2024-05-31\n"),
        actor="t",
    )
    services.import_url_file(
        url_list=sites, path=write(tmp_path / "s.csv", "url\nhttp://www.forum-site.test/\n"), actor="t"
    )
    same = case_services.triage_report(report_id=store_report("https://files.example.test/a/1").pk)
    other_path = case_services.triage_report(report_id=store_report("https://files.example.test/b/2").pk)
    on_site = case_services.triage_report(report_id=store_report("https://img.forum-site.test/x").pk)
    assert ListMatch.objects.get(case_id=same.case_ids[0]).kind == MatchKind.URL
    assert not ListMatch.objects.filter(case_id=other_path.case_ids[0]).exists()
    site_match = ListMatch.objects.get(case_id=on_site.case_ids[0])
    assert (site_match.kind, site_match.list_name) == (MatchKind.DOMAIN, "Site list")
    assert Case.objects.get(pk=same.case_ids[0]).known_url_match


def test_a_known_url_file_with_a_bad_row_imports_nothing(tmp_path: Path) -> None:
    url_list = services.create_url_list(
        name="URLs", trust_level="verified", classification="", match_registered_domain=False, actor="t"
    )
    path = write(tmp_path / "u.csv", "url,date\nhttps://a.example.test/1,2024-01-02\nftp://b.example.test/,x\n")
    outcome = services.import_url_file(url_list=url_list, path=path, actor="t")
    assert [(e.line, e.code) for e in outcome.errors] == [(3, "bad_url")]
    assert url_list.entries.count() == 0


def test_own_images_hashes_go_on_the_self_reported_list_and_later_reports_match(tmp_path: Path) -> None:
    first = _triage(_report_with_hashes([{"kind": "sha256", "value": SHA}, {"kind": "pdq", "value": PDQ}]))
    self_reported = HashList.objects.get(system_key=SELF_REPORTED_KEY)
    assert set(HashEntry.objects.filter(hash_list=self_reported).values_list("hash_type", "value")) == {
        ("sha256", SHA),
        ("pdq", PDQ),
    }
    assert not ListMatch.objects.filter(case=first).exists()  # a report never matches itself
    assert AuditEntry.objects.filter(action="intel.hash_list.created", details__system_key=SELF_REPORTED_KEY).exists()
    index_service.rebuild_and_install()
    later = _triage(_report_with_hashes([{"kind": "pdq", "value": _flip(PDQ, 10)}], channel=Channel.API))
    match = ListMatch.objects.get(case=later)
    assert match.hash_list == self_reported and match.distance == 10
    assert _triage(_report_with_hashes([{"kind": "sha256", "value": SHA}])).hash_list_match
    assert HashEntry.objects.filter(hash_list=self_reported).count() == 2  # seen again, not added twice


def test_the_case_page_says_so_and_confirming_needs_no_exposure(tmp_path: Path, staff_client: Any) -> None:
    _hash_list(tmp_path, f"sha256,{SHA}\n")
    case = _triage(_report_with_hashes([{"kind": "sha256", "value": SHA}]))
    client = staff_client("analyst")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "list-matches-heading" in page
    assert f"/intel/matches/{ListMatch.objects.get(case=case).pk}/confirm/" in page
    match = ListMatch.objects.get(case=case)
    answer = client.post(f"/intel/matches/{match.pk}/confirm/", {"verdict": "csam_baseline"})
    assert answer.status_code == 302 and answer["Location"] == f"/cases/{case.pk}/"
    assessment = Assessment.objects.get(case=case)
    assert assessment.verdict == "csam_baseline"
    assert "Partner" in assessment.reasoning
    match.refresh_from_db()
    assert match.confirmed_at is not None and match.confirmed_by == client.user
    assert not ExposureSession.objects.filter(case=case).exists()
    assert case_selectors.exposure_today(analyst=client.user).minutes == 0
    assert AuditEntry.objects.get(action="intel.match_confirmed").details["exposure"] == "none"
    assert client.post(f"/intel/matches/{match.pk}/confirm/", {"verdict": "nonsense"}).status_code == 400
    assert client.post("/intel/matches/999999/confirm/", {"verdict": "csam_baseline"}).status_code == 404


def test_a_failing_matcher_never_stops_triage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _hash_list(tmp_path, f"sha256,{SHA}\n")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("hotline.intel.services.matching._hash_entries", broken)
    case = _triage(_report_with_hashes([{"kind": "sha256", "value": SHA}]))
    assert case.pk and not ListMatch.objects.exists()


def test_the_index_swaps_atomically_while_searches_run(tmp_path: Path, settings: Any) -> None:
    """Threads search all the time while the index file is rebuilt and reloaded: every search answers from one
    whole index (the old one's or the new one's), never a mix, an error or an empty half-built one."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, size=(3000, 32), dtype=np.uint8)
    query = base[0].tobytes().hex()
    old = PdqIndex.build(base, ids=np.arange(1, 3001))  # the query is row id 1 (distance 0)
    new_codes = base.copy()
    new_codes[0] = np.frombuffer(bytes.fromhex(_flip(query, 3)), dtype=np.uint8)
    new = PdqIndex.build(new_codes, ids=np.arange(10_001, 13_001))  # the query is now id 10001 at distance 3
    path = Path(settings.HOTLINE_PDQ_INDEX_FILE)
    old.save(path)
    index_service.RECHECK_SECONDS, saved_recheck = 0.0, index_service.RECHECK_SECONDS
    seen: set[tuple[int, int]] = set()
    problems: list[BaseException] = []
    stop = threading.Event()

    def search() -> None:
        try:
            while not stop.is_set():
                found = index_service.search_pdq(query, 31)
                if len(found) != 1:
                    raise AssertionError(f"a search saw {len(found)} matches")
                seen.add((found[0].id, found[0].distance))
        except BaseException as error:  # reported to the test's thread
            problems.append(error)

    try:
        threads = [threading.Thread(target=search) for _ in range(4)]
        for thread in threads:
            thread.start()
        for turn in range(6):
            (new if turn % 2 == 0 else old).save(path)  # written beside the file, then renamed over it
            index_service.current_index(force=True)
        stop.set()
        for thread in threads:
            thread.join(10)
    finally:
        stop.set()
        index_service.RECHECK_SECONDS = saved_recheck
    assert not problems, problems
    assert seen <= {(1, 0), (10_001, 3)}
    assert (10_001, 3) in seen or (1, 0) in seen


def test_a_damaged_index_file_is_never_served(settings: Any) -> None:
    codes = pack_pdq_hex([PDQ])
    path = Path(settings.HOTLINE_PDQ_INDEX_FILE)
    PdqIndex.build(codes, ids=[5]).save(path)
    assert index_service.current_index(force=True) is not None
    damaged = path.with_name("damaged")
    damaged.write_bytes(b"not an index")
    damaged.replace(path)  # as a writer would put a file there: renamed over the old one
    still = index_service.current_index(force=True)
    assert still is not None and still.search(PDQ)[0].id == 5
