"""The newsletter over a real SMTP server: double opt-in, one-click unsubscribe (RFC 8058),
preferences and erasure, issues sent in batches with a record of who got them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from hotline.campaigns import services
from hotline.campaigns.models import DeliveryState, IssueDelivery, IssueState, NewsletterIssue, Subscriber
from hotline.campaigns.tests.conftest import body_of, html_of, links_in, path_of, subject_of
from hotline.core.models import AuditEntry

# run_tasks uses the real worker, which closes a connection it finds inside a transaction (on
# PostgreSQL, the test's own), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def _subscribe(client: Any, email: str = "nils@example.test", language: str = "sv") -> Any:
    return client.post("/newsletter/", {"email": email, "language": language, "website": ""})


def _confirmed(client: Any, smtp_server: Any, run_tasks: Any, email: str, language: str = "sv") -> Subscriber:
    before = len(smtp_server.messages)
    _subscribe(client, email, language)
    run_tasks()
    link = next(path_of(u) for u in links_in(smtp_server.messages[before]) if "/newsletter/confirm/" in u)
    assert client.post(link).status_code == 200
    return Subscriber.objects.get(email_index=services.subscriber_email_index(email))


def test_double_opt_in(client: Any, smtp_server: Any, run_tasks: Any) -> None:
    assert client.get("/newsletter/").status_code == 200
    response = _subscribe(client)
    assert response.status_code == 302 and response["Location"] == "/newsletter/thanks/"
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None and not subscriber.is_active
    run_tasks()
    mail = smtp_server.messages[0]
    assert subject_of(mail) == "Bekräfta din prenumeration på nyhetsbrevet"
    link = next(path_of(u) for u in links_in(mail) if "/newsletter/confirm/" in u)
    assert client.get(link).status_code == 200
    assert Subscriber.objects.get().confirmed_at is None  # GET confirms nothing
    assert client.post(link).status_code == 200
    assert Subscriber.objects.get().is_active
    assert client.post(link).status_code == 409  # single use


def test_bad_email_and_honeypot(client: Any, run_tasks: Any) -> None:
    response = _subscribe(client, "nope")
    assert response.status_code == 400 and "giltig e-postadress" in response.content.decode()
    bot = client.post("/newsletter/", {"email": "bot@example.test", "language": "sv", "website": "x"})
    assert bot.status_code == 302
    assert Subscriber.objects.count() == 0 and run_tasks() == 0


def test_repeat_subscription_reveals_nothing_and_mails_the_owner(client: Any, smtp_server: Any, run_tasks: Any) -> None:
    _confirmed(client, smtp_server, run_tasks, "nils@example.test")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = _subscribe(client, "NILS@example.test")
        assert response["Location"] == "/newsletter/thanks/"
        run_tasks()
    assert Subscriber.objects.count() == 1
    assert subject_of(smtp_server.messages[-1]) == "Du får redan vårt nyhetsbrev"
    assert any("/newsletter/preferences/" in u for u in links_in(smtp_server.messages[-1]))


def test_one_click_unsubscribe_rfc8058(client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any) -> None:
    subscriber = _confirmed(client, smtp_server, run_tasks, "nils@example.test")
    issue = services.create_issue(actor=make_staff("campaigner"), subject_sv="Nytt i mars", body_sv="Hej **alla**!")
    services.send_issue(issue=issue, actor=make_staff("campaigner"))
    run_tasks()
    mail = smtp_server.messages[-1]
    assert subject_of(mail) == "Nytt i mars"
    header = " ".join(str(mail["List-Unsubscribe"]).split())  # unfold (RFC 5322 folding of long headers)
    assert header.startswith("<http") and f"/newsletter/unsubscribe/{subscriber.token}/" in header
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<strong>alla</strong>" in html_of(mail)
    assert "Avsluta prenumerationen:" in body_of(mail)
    url = path_of(header.strip("<>").split(">")[0])

    # GET shows a button and changes nothing.
    page = Client().get(url)
    assert page.status_code == 200 and "<form" in page.content.decode()
    assert Subscriber.objects.get().is_active

    # The mail provider's POST: no session, no CSRF token, the RFC 8058 body. Unsubscribed at once.
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None
    assert (
        provider.post(
            url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert AuditEntry.objects.filter(action="newsletter.unsubscribed").count() == 1


def test_mailto_unsubscribe_is_optional(
    client: Any, settings: Any, smtp_server: Any, run_tasks: Any, make_staff: Any
) -> None:
    settings.HOTLINE_NEWSLETTER_UNSUBSCRIBE_MAILTO = "unsubscribe@hotline.example"
    subscriber = _confirmed(client, smtp_server, run_tasks, "nils@example.test")
    from hotline.campaigns import mail

    header = mail.unsubscribe_headers(subscriber)["List-Unsubscribe"]
    assert header.endswith(f"<mailto:unsubscribe@hotline.example?subject=unsubscribe-{subscriber.token}>")


def test_preferences_language_unsubscribe_resubscribe_and_erase(client: Any, smtp_server: Any, run_tasks: Any) -> None:
    subscriber = _confirmed(client, smtp_server, run_tasks, "nils@example.test")
    url = f"/newsletter/preferences/{subscriber.token}/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "language", "language": "en"})
    assert Subscriber.objects.get().language == "en"
    client.post(url, {"action": "unsubscribe"})
    assert Subscriber.objects.get().unsubscribed_at is not None
    client.post(url, {"action": "resubscribe"})
    again = Subscriber.objects.get()
    assert again.unsubscribed_at is None and again.confirmed_at is None  # a fresh double opt-in
    run_tasks()
    assert "/newsletter/confirm/" in " ".join(links_in(smtp_server.messages[-1]))
    erase = client.post(f"/newsletter/preferences/{again.token}/", {"action": "erase"})
    assert erase.status_code == 200
    assert Subscriber.objects.count() == 0
    assert client.get(f"/newsletter/preferences/{again.token}/").status_code == 400


def test_issue_is_sent_in_batches_with_a_record_and_is_idempotent(
    client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any, settings: Any
) -> None:
    settings.HOTLINE_NEWSLETTER_BATCH_SIZE = 2
    actor = make_staff("campaigner")
    for n in range(5):
        services.add_confirmed_subscriber(email=f"s{n}@example.test", language="en" if n == 0 else "sv", actor=actor)
    services.subscribe(email="pending@example.test")  # not confirmed: gets nothing
    run_tasks()
    smtp_server.messages.clear()
    issue = services.create_issue(
        actor=actor, subject_sv="Svensk rubrik", body_sv="Text", subject_en="English subject", body_en="Text"
    )
    services.send_issue(issue=issue, actor=actor)
    issue.refresh_from_db()
    assert issue.state == IssueState.SENDING and issue.recipients == 5

    # One batch at a time: progress is visible in between.
    result = services.run_issue_batch(issue_id=issue.pk)
    assert (result.sent, result.remaining) == (2, 3)
    run_tasks()
    issue.refresh_from_db()
    assert issue.state == IssueState.SENT
    assert IssueDelivery.objects.filter(issue=issue, state=DeliveryState.SENT).count() == 5
    assert len(smtp_server.messages) == 5
    subjects = sorted(subject_of(m) for m in smtp_server.messages)
    assert subjects == ["English subject"] + ["Svensk rubrik"] * 4

    # A retried batch (e.g. a duplicate task) mails nobody twice.
    assert services.run_issue_batch(issue_id=issue.pk).sent == 0
    from hotline.campaigns import tasks

    tasks.send_issue_batch.enqueue(issue.pk, 1)
    run_tasks()
    assert len(smtp_server.messages) == 5
    assert AuditEntry.objects.filter(action="newsletter.issue_sent", object_id=str(issue.pk)).count() == 1


def test_issue_send_survives_smtp_outage(client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any) -> None:
    actor = make_staff("campaigner")
    for n in range(3):
        services.add_confirmed_subscriber(email=f"s{n}@example.test", language="sv", actor=actor)
    issue = services.create_issue(actor=actor, subject_sv="Ämne", body_sv="Text")
    services.send_issue(issue=issue, actor=actor)
    smtp_server.fail_with = "451 4.3.0 Try again later"
    run_tasks()
    assert smtp_server.messages == []
    assert IssueDelivery.objects.filter(state=DeliveryState.QUEUED).count() == 3
    smtp_server.fail_with = None
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        run_tasks()
    assert len(smtp_server.messages) == 3
    assert NewsletterIssue.objects.get().state == IssueState.SENT


def test_unsubscribed_meanwhile_is_skipped(client: Any, smtp_server: Any, run_tasks: Any, make_staff: Any) -> None:
    actor = make_staff("campaigner")
    keep = services.add_confirmed_subscriber(email="keep@example.test", language="sv", actor=actor)
    leave = services.add_confirmed_subscriber(email="leave@example.test", language="sv", actor=actor)
    issue = services.create_issue(actor=actor, subject_sv="Ämne", body_sv="Text")
    services.send_issue(issue=issue, actor=actor)
    services.unsubscribe(subscriber=leave)
    run_tasks()
    assert [m["To"] for m in smtp_server.messages] == [keep.email]
    assert IssueDelivery.objects.get(subscriber=leave).state == DeliveryState.SKIPPED


def test_markdown_is_sanitised() -> None:
    from hotline.campaigns.mail import render_markdown

    html = render_markdown('Hej <script>alert(1)</script> [x](javascript:alert(1)) <img src="https://t.example/p.gif">')
    assert "<script" not in html and "javascript:" not in html and "<img" not in html
    assert render_markdown("## Rubrik\n\n- a\n- b").startswith("<h2>Rubrik</h2>")


def test_unconfirmed_signups_are_deleted_after_30_days(client: Any, run_tasks: Any, make_staff: Any) -> None:
    services.subscribe(email="late@example.test")
    keep = services.add_confirmed_subscriber(email="keep@example.test", language="sv", actor=make_staff("campaigner"))
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert services.delete_unconfirmed_subscribers() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        from hotline.core import tasks

        tasks.apply_retention.enqueue()  # the retention run applies campaigns.newsletter_unconfirmed
        run_tasks()
    assert list(Subscriber.objects.all()) == [keep]
