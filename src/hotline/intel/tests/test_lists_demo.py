"""The hash and known-URL lists demo step: made-up hashes and reserved names, a demo report whose case shows its
list match, idempotent, and registered for `manage.py demo_data`."""

from __future__ import annotations

import io
import time

import pytest

from hotline.cases.models import Case, Report, ReportHash
from hotline.core import registry
from hotline.intel import demo
from hotline.intel.models import HashEntry, HashList, KnownUrlEntry, KnownUrlList, ListMatch

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once_and_its_report_matches() -> None:
    started = time.monotonic()
    out = io.StringIO()
    demo.load(out)
    first_run = time.monotonic() - started
    demo.load(out)
    hash_list = HashList.objects.get(name=demo.HASH_LIST_NAME)
    assert hash_list.enabled and HashEntry.objects.filter(hash_list=hash_list).count() == len(demo.HASH_ROWS)
    assert set(HashEntry.objects.values_list("hash_type", flat=True)) == {"md5", "sha256", "pdq"}
    url_list = KnownUrlList.objects.get(name=demo.URL_LIST_NAME)
    assert KnownUrlEntry.objects.filter(url_list=url_list).count() == len(demo.KNOWN_URLS)
    assert all(".example.test/" in url for url in demo.KNOWN_URLS)
    report = Report.objects.get()  # once, though loaded twice
    assert ReportHash.objects.filter(report=report).count() == 2
    matches = ListMatch.objects.filter(report_id=report.pk)
    assert {m.list_name for m in matches} >= {demo.HASH_LIST_NAME}
    assert Case.objects.get(pk=matches.first().case_id).hash_list_match  # type: ignore[union-attr]
    assert out.getvalue().count("Intel demo:") == 1
    assert first_run < 5  # demo_data stays fast


def test_the_step_is_registered() -> None:
    assert "intel.lists" in {step.name for step in registry.demo_steps()}
