"""The cases app's hooks, as cases itself keeps them: a failing receiver of hosts_found never stops triage (and
its log names no host), panels take their place among the page's own sections, unknown event kinds still show."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from hotline.cases import hooks, services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, Report
from hotline.cases.selectors import case_page

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/album/7"


@pytest.fixture
def failing_receiver() -> Iterator[list[list[str]]]:
    seen: list[list[str]] = []

    def receiver(sender: Any, hosts: list[str], **kwargs: Any) -> None:
        seen.append(hosts)
        raise ValueError(f"cannot take {hosts}")

    hooks.hosts_found.connect(receiver, dispatch_uid="test.failing")
    yield seen
    hooks.hosts_found.disconnect(dispatch_uid="test.failing")


def test_a_failing_receiver_does_not_stop_triage(failing_receiver: list[list[str]], caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="hotline.cases")
    report = store_report(URL)
    result = services.triage_report(report_id=report.pk)
    assert failing_receiver == [["files.example.test"]]  # inside triage, with the new case's host
    assert Report.objects.get(pk=report.pk).triaged_at is not None and len(result.case_ids) == 1
    assert "ValueError" in caplog.text and "files.example.test" not in caplog.text


def test_panels_are_placed_after_the_section_their_order_follows() -> None:
    placed = [hooks.CasePanel(key=f"p{order}", title="", template="x.html", order=order) for order in (50, 150, 999)]

    def receiver(sender: Any, case: Case, **kwargs: Any) -> list[hooks.CasePanel]:
        return placed

    hooks.case_page_panels.connect(receiver, dispatch_uid="test.panels")
    try:
        services.triage_report(report_id=store_report(URL).pk)
        page = case_page(case=Case.objects.get())
    finally:
        hooks.case_page_panels.disconnect(dispatch_uid="test.panels")
    assert [p.key for p in page.panels_after["start"]] == ["p50"]
    assert "p150" in [p.key for p in page.panels_after["url"]]
    assert [p.key for p in page.panels_after["timeline"]] == ["p999"]


@pytest.mark.django_db(transaction=True)
def test_record_case_event_belongs_to_the_callers_transaction() -> None:
    services.triage_report(report_id=store_report(URL).pk)
    case = Case.objects.get()
    with pytest.raises(RuntimeError):
        services.record_case_event(case_id=case.pk, kind="elsewhere")
    with transaction.atomic():
        event = services.record_case_event(case_id=case.pk, kind="elsewhere", details={"n": 1})
    timeline = case_page(case=case).timeline
    assert [(e.kind, e.kind_label) for e in timeline if e.event == event] == [("elsewhere", "")]
