"""Tracing answers the cases app's hooks: triage's hosts are traced in triage's transaction, and the case page
shows the host's hosting facts (moved here from the cases tests, which no longer know tracing exists)."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, Channel, NexusHint, ReportKind
from hotline.cases.selectors import case_page
from hotline.tracing.models import HostTrace

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/album/42"


@pytest.fixture
def case() -> Case:
    report = store_report(
        URL,
        description="Reporter saw the link in a group chat.",
        where_seen="A messaging group",
        contact="reporter@mail.example",
        reporter_classification="csam",
        nexus_victim=NexusHint.YES,
    )
    services.triage_report(report_id=report.pk)
    services.triage_report(
        report_id=store_report(URL + "?utm_source=x", channel=Channel.API, source_name="Operator app").pk
    )
    return Case.objects.get(url_index__isnull=False)


def test_hosting_facts_are_shown_when_tracing_provides_them(case: Case, staff_client: Any) -> None:
    page = case_page(case=case)
    panel = next(panel for panel in page.panels if panel.key == "hosting")
    assert panel.context["hosting_history"] is not None
    assert panel.template == "tracing/_hosting_history.html"
    assert page.panels_after["url"] == [panel]  # right after the case's URL, as before the hooks
    assert staff_client("analyst").get(f"/cases/{case.pk}/").status_code == 200


def test_a_case_without_host_has_no_hosting_panel() -> None:
    case_id = services.triage_report(report_id=store_report(kind=ReportKind.TRAFFICKING).pk).case_ids[0]
    assert [panel.key for panel in case_page(case=Case.objects.get(pk=case_id)).panels if panel.key == "hosting"] == []


def test_triage_asks_tracing_for_the_host_in_the_same_transaction() -> None:
    services.triage_report(report_id=store_report(URL).pk)
    assert HostTrace.objects.filter(host="files.example.test").count() == 1
    services.triage_report(report_id=store_report(URL + "?again=1").pk)  # another case, same host
    assert HostTrace.objects.filter(host="files.example.test").count() == 1
    # A situation report has no host: nothing is traced for it.
    services.triage_report(report_id=store_report(kind=ReportKind.TRAFFICKING).pk)
    assert HostTrace.objects.count() == 1


def test_a_host_tracing_refuses_does_not_stop_the_others() -> None:
    bad = store_report("https://-x.example.test/a")  # canonical, but not a host name tracing accepts
    good = store_report(URL)
    batch = services.triage_batch(first_report_id=bad.pk, limit=10)
    assert sorted(batch.triaged) == sorted([bad.pk, good.pk])
    assert list(HostTrace.objects.values_list("host", flat=True)) == ["files.example.test"]


def triaged(url: str) -> Case:
    return Case.objects.get(pk=services.triage_report(report_id=store_report(url).pk).case_ids[0])


def test_triage_never_traces_a_host_that_is_not_public() -> None:
    # A URL stored before intake refused such hosts (or by an older intake): triage makes its case
    # but does not hand the host to tracing.
    internal = triaged("http://files.intranet/a")
    public = triaged("https://files.example.test/b")
    assert internal.host == "files.intranet" and internal.url_index
    assert list(HostTrace.objects.values_list("host", flat=True)) == [public.host]
