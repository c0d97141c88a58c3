"""cases.ReportHash: the rules of a hash, the service that stores a report's hashes with it, and the table's
own guarantees (one (report, kind, value), quality for PDQ only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import HashKind, Report, ReportHash
from hotline.cases.rules import HashInput, normal_hashes, report_hash_problems
from hotline.core.models import AuditEntry

SHA = hashlib.sha256(b"made-up test bytes").hexdigest()
MD5 = hashlib.md5(b"made-up test bytes", usedforsecurity=False).hexdigest()
PDQ = "f" * 16 + "0" * 48  # a made-up PDQ value


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_the_messages_are_in_swedish_by_default() -> None:
    with translation.override("sv"):
        problems = report_hash_problems([HashInput("md5", "xyz")])
    assert problems == {
        "hashes.0": "Ett MD5-hashvärde består av 32 hexadecimala tecken (0-9, a-f); det här gör inte det."
    }


def test_valid_hashes_have_no_problems() -> None:
    assert report_hash_problems([HashInput("sha256", SHA), HashInput("md5", MD5), HashInput("pdq", PDQ, 87)]) == {}


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (HashInput("crc32", SHA[:8]), "Unknown kind of hash"),
        (HashInput("sha256", SHA[:63]), "SHA-256 hashes are 64 hexadecimal digits"),
        (HashInput("md5", MD5 + "0"), "MD5 hashes are 32 hexadecimal digits"),
        (HashInput("pdq", "g" * 64), "PDQ hashes are 64 hexadecimal digits"),
        (HashInput("sha256", SHA[:62] + " 0"), "64 hexadecimal digits"),
        (HashInput("md5", MD5, 50), "Only a PDQ hash has a quality"),
        (HashInput("pdq", PDQ, 101), "whole number from 0 to 100"),
        (HashInput("pdq", PDQ, -1), "whole number from 0 to 100"),
        (HashInput("pdq", PDQ, True), "whole number from 0 to 100"),  # type: ignore[arg-type]
        ({"kind": "md5", "value": MD5}, "needs a kind"),
    ],
)
def test_each_bad_hash_is_named_with_a_message(item: object, words: str) -> None:
    problems = report_hash_problems([HashInput("md5", MD5), item])
    assert list(problems) == ["hashes.1"]
    assert words in problems["hashes.1"]


def test_too_many_hashes_is_one_problem_for_the_list() -> None:
    problems = report_hash_problems([HashInput("md5", MD5)] * 4, limit=3)
    assert problems == {"hashes": "A report can carry at most 3 hashes."}


def test_normal_form_is_lowercase_trimmed_and_each_once() -> None:
    hashes = normal_hashes([HashInput("sha256", f" {SHA.upper()} "), HashInput("sha256", SHA), HashInput("md5", MD5)])
    assert hashes == [HashInput("sha256", SHA), HashInput("md5", MD5)]


@pytest.mark.django_db
def test_hashes_are_stored_with_the_report_and_audited_without_values() -> None:
    with transaction.atomic():
        report = store_report(description="Own images, by hashes")
        rows = services.store_report_hashes(
            report=report,
            hashes=[HashInput("sha256", SHA.upper()), HashInput("md5", MD5), HashInput("pdq", PDQ, 87)],
            actor="public",
        )
    assert len(rows) == 3
    stored = {(h.kind, h.value, h.quality) for h in report.hashes.all()}
    assert stored == {(HashKind.SHA256, SHA, None), (HashKind.MD5, MD5, None), (HashKind.PDQ, PDQ, 87)}
    entry = AuditEntry.objects.get(action="report.hashes_stored", object_id=str(report.pk))
    assert entry.details == {"count": 3, "kinds": {"md5": 1, "pdq": 1, "sha256": 1}}
    assert SHA not in str(entry.details) and MD5 not in str(entry.details)


@pytest.mark.django_db
def test_a_bad_hash_stores_nothing_and_says_why() -> None:
    before = Report.objects.count()
    with pytest.raises(services.ReportHashesRejected) as caught, transaction.atomic():
        report = store_report(description="Own images, by hashes")
        services.store_report_hashes(
            report=report, hashes=[HashInput("sha256", SHA), HashInput("md5", "xyz")], actor="public"
        )
    assert caught.value.status == 400
    assert caught.value.problems == {"hashes.1": "MD5 hashes are 32 hexadecimal digits (0-9, a-f); this one is not."}
    assert "MD5 hashes are 32 hexadecimal digits" in str(caught.value)
    assert Report.objects.count() == before  # the report rolled back with its hashes
    assert not ReportHash.objects.exists()
    assert not AuditEntry.objects.filter(action="report.hashes_stored").exists()


@pytest.mark.django_db(transaction=True)
def test_store_report_hashes_refuses_to_run_outside_the_reports_transaction() -> None:
    report = store_report(description="Own images, by hashes")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.store_report_hashes(report=report, hashes=[HashInput("md5", MD5)], actor="public")
    assert not ReportHash.objects.exists()


@pytest.mark.django_db
def test_the_table_keeps_one_row_per_report_kind_value() -> None:
    report = store_report(description="Own images, by hashes")
    ReportHash.objects.create(report=report, kind="md5", value=MD5)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportHash.objects.create(report=report, kind="md5", value=MD5)
    other = store_report(description="Another report")
    ReportHash.objects.create(report=other, kind="md5", value=MD5)  # the same file in another report is fine
    assert ReportHash.objects.filter(kind="md5", value=MD5).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "value", "quality"), [("md5", MD5, 10), ("pdq", PDQ, 101)])
def test_the_table_refuses_a_quality_that_is_not_a_pdq_ones(kind: str, value: str, quality: int) -> None:
    report = store_report(description="Own images, by hashes")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportHash.objects.create(report=report, kind=kind, value=value, quality=quality)
