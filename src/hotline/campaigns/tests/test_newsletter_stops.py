"""No newsletter stuck in silence (issue 20, point 4): a subject with a line break is refused at entry, and a
send that stops for whatever reason says so on the issue, with its error and a resume action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from hotline.campaigns import services
from hotline.campaigns.errors import InvalidInput, NotAllowed
from hotline.campaigns.models import DeliveryState, IssueDelivery, IssueState, NewsletterIssue
from hotline.campaigns.tests.conftest import subject_of
from hotline.core.models import AuditEntry

# run_tasks uses the real worker, which closes a connection it finds inside a transaction (on
# PostgreSQL, the test's own), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "subject", ["Hej\r\nBcc: everyone@example.test", "Hej\nX-Spam: no", "Hej\rdå", "Hej\u2028då", "Tab\there"]
)
def test_a_subject_with_a_line_break_is_refused_at_entry(make_staff: Any, subject: str) -> None:
    actor = make_staff("campaigner")
    with translation.override("en"):
        with pytest.raises(InvalidInput) as refused:
            services.create_issue(actor=actor, subject_sv=subject, body_sv="Text")
        assert "one line" in refused.value.errors["subject_sv"]
        with pytest.raises(InvalidInput) as refused:
            services.create_issue(actor=actor, subject_sv="Ämne", body_sv="Text", subject_en=subject, body_en="Text")
        assert "one line" in refused.value.errors["subject_en"]
        issue = services.create_issue(actor=actor, subject_sv="Ämne", body_sv="Text")
        with pytest.raises(InvalidInput):
            services.update_issue(issue=issue, actor=actor, subject_sv=subject)
    assert NewsletterIssue.objects.get().subject_sv == "Ämne"


def test_the_issue_form_shows_the_refusal(staff_client: Any) -> None:
    client = staff_client("campaigner")
    client.cookies["hotline_language"] = "en"
    data = {"subject_sv": "Hej\r\nBcc: x@example.test", "body_sv": "Text"}
    response = client.post("/campaigns/newsletter/issues/new/", data)
    assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
    assert NewsletterIssue.objects.count() == 0


def _sending(make_staff: Any, subscribers: int = 3, **fields: Any) -> tuple[Any, NewsletterIssue]:
    actor = make_staff("campaigner")
    for n in range(subscribers):
        services.add_confirmed_subscriber(email=f"s{n}@example.test", language="sv", actor=actor)
    issue = services.create_issue(actor=actor, subject_sv="Ämne", body_sv="Text", **fields)
    return actor, services.send_issue(issue=issue, actor=actor)


def test_a_failure_the_sender_did_not_foresee_stops_the_issue_visibly(
    staff_client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any
) -> None:
    """An issue written before subjects were checked (a line break reaches the mail header): the send stops,
    says why on the issue, and nothing is left claimed; it can be corrected and resumed."""
    actor, issue = _sending(make_staff)
    NewsletterIssue.objects.filter(pk=issue.pk).update(subject_sv="Hej\r\nBcc: everyone@example.test")
    run_tasks()
    issue.refresh_from_db()
    assert issue.state == IssueState.STOPPED and issue.stopped_at is not None
    assert issue.stop_error == "BadHeaderError"
    assert smtp_server.messages == []
    assert IssueDelivery.objects.filter(issue=issue, state=DeliveryState.QUEUED).count() == 3  # none left claimed
    stopped = AuditEntry.objects.get(action="newsletter.issue_stopped", object_id=str(issue.pk))
    assert stopped.details["error"] == "BadHeaderError"

    client = staff_client("campaigner")
    client.cookies["hotline_language"] = "en"
    page = client.get(f"/campaigns/newsletter/issues/{issue.pk}/").content.decode()
    assert "Stopped" in page and "BadHeaderError" in page
    assert f'action="/campaigns/newsletter/issues/{issue.pk}/resume/"' in page
    assert f'href="/campaigns/newsletter/issues/{issue.pk}/edit/"' in page  # nothing sent yet: it can be corrected

    services.update_issue(issue=issue, actor=actor, subject_sv="Ämne")
    resumed = client.post(f"/campaigns/newsletter/issues/{issue.pk}/resume/")
    assert resumed.status_code == 302 and resumed["Location"] == f"/campaigns/newsletter/issues/{issue.pk}/"
    run_tasks()
    issue.refresh_from_db()
    assert issue.state == IssueState.SENT and issue.stop_error == ""
    assert sorted(subject_of(m) for m in smtp_server.messages) == ["Ämne"] * 3
    assert AuditEntry.objects.filter(action="newsletter.issue_resumed", object_id=str(issue.pk)).count() == 1


def test_a_mail_server_down_too_long_stops_the_issue_and_resume_goes_on(
    staff_client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any, settings: Any
) -> None:
    settings.HOTLINE_CAMPAIGN_MAIL_ATTEMPTS = 3
    _actor, issue = _sending(make_staff)
    smtp_server.fail_with = "451 4.3.0 Try again later"
    moment = timezone.now()
    for _ in range(4):
        with time_machine.travel(moment):
            run_tasks()
        moment += timedelta(hours=2)  # past every back-off
    issue.refresh_from_db()
    assert issue.state == IssueState.STOPPED
    assert issue.stop_reason == "mail_server" and issue.stop_error == "SMTPDataError"
    # Nobody was given up on: every recipient still waits for the mail server.
    assert IssueDelivery.objects.filter(issue=issue, state=DeliveryState.QUEUED).count() == 3

    smtp_server.fail_with = None
    client = staff_client("campaigner")
    client.cookies["hotline_language"] = "en"
    page = client.get(f"/campaigns/newsletter/issues/{issue.pk}/").content.decode()
    assert "mail server" in page and "SMTPDataError" in page
    resumed = client.post(f"/campaigns/newsletter/issues/{issue.pk}/resume/")
    assert resumed.status_code == 302 and resumed["Location"] == f"/campaigns/newsletter/issues/{issue.pk}/"
    run_tasks()
    issue.refresh_from_db()
    assert (issue.state, issue.stop_reason, issue.stop_error) == (IssueState.SENT, "", "")
    assert len(smtp_server.messages) == 3


def test_a_send_whose_worker_vanished_shows_it_and_can_be_resumed(
    staff_client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any
) -> None:
    _actor, issue = _sending(make_staff)
    DBTaskResult.objects.all().delete()  # the batch task is lost (a wiped queue, a worker that never ran)
    client = staff_client("campaigner")
    client.cookies["hotline_language"] = "en"
    url = f"/campaigns/newsletter/issues/{issue.pk}/"
    fresh = client.get(url).content.decode()
    assert "/resume/" not in fresh  # a send in progress is not offered a resume
    with pytest.raises(NotAllowed):
        services.resume_issue(issue=issue, actor=_actor)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        page = client.get(url).content.decode()
        assert "No batch has been sent since" in page and f'action="{url}resume/"' in page
        resumed = client.post(f"{url}resume/")
        assert resumed.status_code == 302 and resumed["Location"] == url
        run_tasks()
    issue.refresh_from_db()
    assert issue.state == IssueState.SENT and len(smtp_server.messages) == 3


def test_resume_is_refused_for_a_draft_or_a_sent_issue(make_staff: Any, smtp_server: Any, run_tasks: Any) -> None:
    actor = make_staff("campaigner")
    draft = services.create_issue(actor=actor, subject_sv="Ämne", body_sv="Text")
    with pytest.raises(NotAllowed):
        services.resume_issue(issue=draft, actor=actor)
    _actor, sending = _sending(make_staff, subscribers=1)
    run_tasks()
    sending.refresh_from_db()
    assert sending.state == IssueState.SENT
    with pytest.raises(NotAllowed):
        services.resume_issue(issue=sending, actor=actor)
