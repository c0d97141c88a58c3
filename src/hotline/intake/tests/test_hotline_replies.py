"""A two-way thread by receipt (issue 13, point 5): staff reply from the case page (a panel of intake's), the
reporter reads it on the status page; audited, encrypted, only for reports that came with a receipt."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from hotline.cases.models import Report, ReportedUrl
from hotline.core.models import AuditEntry
from hotline.intake import services
from hotline.intake.models import HotlineReply
from hotline.intake.tests.test_public_pages import form_data, receipt_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_a_reply_from_the_case_page_reaches_the_reporters_status_page(
    client: Client, staff_client: Any, run_tasks: Any
) -> None:
    client.cookies["hotline_language"] = "en"
    receipt = receipt_of(client.post("/report/", form_data(url_1="https://reply.example.test/a"), follow=True))
    client.post("/report/status/", {"receipt": receipt, "message": "It is still online."})
    run_tasks()  # triage: the report's URL opens a case
    case = ReportedUrl.objects.get().case
    report = Report.objects.get()
    analyst = staff_client("analyst")
    page = analyst.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/report/staff/reply/{report.pk}/"' in page and "It is still online." in page
    sent = analyst.post(
        f"/report/staff/reply/{report.pk}/",
        {"reply": "Thank you, we have passed it on.", "case_url": f"/cases/{case.pk}/"},
    )
    assert sent.status_code == 302 and sent["Location"] == f"/cases/{case.pk}/"
    reply = HotlineReply.objects.get()
    assert reply.text == "Thank you, we have passed it on." and reply.sent_by is not None
    assert AuditEntry.objects.filter(action="report.reply_sent", object_id=str(report.pk)).exists()
    status = client.post("/report/status/", {"receipt": receipt}).content.decode()
    thread = status.split('<ol class="thread"', 1)[1].split("</ol>", 1)[0]
    assert thread.index("It is still online.") < thread.index("Thank you, we have passed it on.")
    assert "Hotline wrote" in thread and "You wrote" in thread
    # A GET changes nothing; an empty reply is refused with a message and stores nothing.
    assert analyst.get(f"/report/staff/reply/{report.pk}/").status_code == 405
    analyst.post(f"/report/staff/reply/{report.pk}/", {"reply": "  ", "case_url": "https://elsewhere.example/"})
    assert HotlineReply.objects.count() == 1


def test_a_report_without_a_receipt_cannot_be_answered(staff_client: Any, make_staff: Any) -> None:
    from hotline.cases.models import Channel

    submitted = services.submit_report(channel=Channel.API, kind="other", description="From a partner.")
    with pytest.raises(services.ReportRejected):
        services.reply_to_reporter(report=submitted.report, text="Hello.", staff=make_staff("analyst"))
    assert HotlineReply.objects.count() == 0


def test_replies_go_when_cases_erases_the_reporters_texts(make_staff: Any, settings: Any) -> None:
    from django.utils import timezone

    from hotline.core import retention

    report = services.submit_report(channel="web", kind="other", description="Something worrying.").report
    services.reply_to_reporter(report=report, text="Thank you.", staff=make_staff("analyst"))
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 30
    assert retention.run_policy("intake.hotline_replies").count == 0  # the texts are still there
    Report.objects.filter(pk=report.pk).update(texts_erased_at=timezone.now())
    assert retention.run_policy("intake.hotline_replies").count == 1 and not HotlineReply.objects.exists()
