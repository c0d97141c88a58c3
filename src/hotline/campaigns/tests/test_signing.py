"""Signing a petition end to end over a real SMTP server: sign, read the mail, follow the link, count."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from hotline.campaigns import services
from hotline.campaigns.factories import make_petition
from hotline.campaigns.models import Petition, PetitionState, Signature, SignatureState, Subscriber
from hotline.campaigns.tests.conftest import body_of, links_in, path_of, sign_data, subject_of
from hotline.core.models import AuditEntry

# run_tasks uses the real worker, which closes a connection it finds inside a transaction (on
# PostgreSQL, the test's own), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def without_csrf(html: bytes) -> bytes:
    # The CSRF token is masked differently on every response; everything else must be identical.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def _confirm_link(message: Any) -> str:
    return next(path_of(u) for u in links_in(message) if "/petitions/confirm/" in u)


def test_sign_confirm_by_mailed_link_and_count(
    client: Any, petition: Petition, smtp_server: Any, run_tasks: Any
) -> None:
    page = client.get("/petitions/barnets-rattigheter/")
    assert page.status_code == 200
    assert "Utbildning om barnets rättigheter" in page.content.decode()

    response = client.post("/petitions/barnets-rattigheter/", sign_data())
    assert response.status_code == 302 and response["Location"] == "/petitions/barnets-rattigheter/thanks/"
    signature = Signature.objects.get()
    assert signature.state == SignatureState.PENDING
    assert signature.name == "Anna Andersson" and signature.email == "anna@example.test"
    petition.refresh_from_db()
    assert petition.signature_count == 0  # pending does not count

    assert run_tasks() >= 1
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == "anna@example.test"
    assert subject_of(mail) == "Bekräfta din underskrift: Utbildning om barnets rättigheter"
    link = _confirm_link(mail)

    # GET only shows a button: a mail scanner that opens the link confirms nothing.
    shown = client.get(link)
    assert shown.status_code == 200
    assert Signature.objects.get().state == SignatureState.PENDING

    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed["Location"] == "/petitions/barnets-rattigheter/confirmed/"
    petition.refresh_from_db()
    assert petition.signature_count == 1
    assert Signature.objects.get().state == SignatureState.CONFIRMED
    assert ">1</strong>" in client.get("/petitions/barnets-rattigheter/").content.decode()
    assert AuditEntry.objects.filter(action="petition.signature_confirmed").count() == 1

    # The link works once.
    again = client.post(link)
    assert again.status_code == 409
    assert "redan använts" in again.content.decode()
    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_repeat_signature_shows_the_same_page_and_mails_the_owner(
    client: Any, petition: Petition, smtp_server: Any, run_tasks: Any, settings: Any
) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    client.post(_confirm_link(smtp_server.messages[0]))
    first_thanks = without_csrf(client.get("/petitions/barnets-rattigheter/thanks/").content)

    # Same person, another spelling of the same Gmail-style mailbox rule does not apply to example.test,
    # so repeat with the exact address in other case.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = client.post("/petitions/barnets-rattigheter/", sign_data(email="ANNA@Example.test", name="Other"))
        assert response.status_code == 302 and response["Location"] == "/petitions/barnets-rattigheter/thanks/"
        assert without_csrf(client.get(response["Location"]).content) == first_thanks
        run_tasks()
    assert Signature.objects.count() == 1
    petition.refresh_from_db()
    assert petition.signature_count == 1
    assert len(smtp_server.messages) == 2
    already = smtp_server.messages[1]
    assert already["To"] == "ANNA@Example.test" or already["To"] == "anna@example.test"
    assert "redan" in body_of(already)
    assert not any("/petitions/confirm/" in u for u in links_in(already))


def test_gmail_spellings_are_one_person(client: Any, petition: Petition, smtp_server: Any, run_tasks: Any) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data(email="anna.andersson@gmail.com"))
    client.post("/petitions/barnets-rattigheter/", sign_data(email="Anna.Andersson+petition@googlemail.com"))
    assert Signature.objects.count() == 1


def test_repeat_while_pending_resends_the_link_but_not_in_a_flood(
    client: Any, petition: Petition, smtp_server: Any, run_tasks: Any
) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data())
    for _ in range(5):  # someone hammering the form with this address
        client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    assert len(smtp_server.messages) == 1
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        client.post("/petitions/barnets-rattigheter/", sign_data())
        run_tasks()
        assert len(smtp_server.messages) == 2
        # The resent link confirms the one signature.
        client.post(_confirm_link(smtp_server.messages[1]))
    petition.refresh_from_db()
    assert petition.signature_count == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (sign_data(name="   "), "Skriv ditt namn"),
        (sign_data(email="not-an-address"), "giltig e-postadress"),
        (sign_data(email=""), "giltig e-postadress"),
        (sign_data(municipality="9999"), "Välj din kommun"),
        (sign_data(municipality=""), "Välj din kommun"),
        (sign_data(municipality="abroad", country=""), "Välj landet"),
        (sign_data(municipality="abroad", country="SE"), "Välj landet"),
        (sign_data(consent=None), "godkänna villkoren"),
        (sign_data(name="x" * 101), "högst 100 tecken"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(
    client: Any, petition: Petition, data: dict[str, Any], message: str, run_tasks: Any
) -> None:
    response = client.post("/petitions/barnets-rattigheter/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Signature.objects.count() == 0
    assert run_tasks() == 0


def test_signer_abroad(client: Any, petition: Petition) -> None:
    response = client.post("/petitions/barnets-rattigheter/", sign_data(municipality="abroad", country="NO"))
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.municipality, signature.country) == ("", "NO")


def test_closed_petition_takes_no_signature(client: Any, db: Any) -> None:
    make_petition(state=PetitionState.CLOSED, closed_at=timezone.now())
    page = client.get("/petitions/barnets-rattigheter/")
    assert "stängd" in page.content.decode()
    response = client.post("/petitions/barnets-rattigheter/", sign_data())
    assert response.status_code == 409
    assert "stängd" in response.content.decode()
    assert Signature.objects.count() == 0


def test_deadline_passed_counts_as_closed(client: Any, db: Any) -> None:
    make_petition(deadline=timezone.now() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = client.post("/petitions/barnets-rattigheter/", sign_data())
        assert response.status_code == 409
        assert services.close_petitions_past_deadline() == [Petition.objects.get().pk]
    assert Petition.objects.get().state == PetitionState.CLOSED


def test_draft_is_not_public(client: Any, db: Any) -> None:
    make_petition(state=PetitionState.DRAFT)
    assert client.get("/petitions/barnets-rattigheter/").status_code == 404
    assert "barnets-rattigheter" not in client.get("/petitions/").content.decode()


def test_honeypot_gets_the_thank_you_page_and_saves_nothing(client: Any, petition: Petition, run_tasks: Any) -> None:
    response = client.post("/petitions/barnets-rattigheter/", sign_data(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == "/petitions/barnets-rattigheter/thanks/"
    assert Signature.objects.count() == 0
    assert run_tasks() == 0


def test_expired_link(client: Any, petition: Petition, smtp_server: Any, run_tasks: Any, settings: Any) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    link = _confirm_link(smtp_server.messages[0])
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        shown = client.get(link)
        assert shown.status_code == 410 and "har gått ut" in shown.content.decode()
        assert client.post(link).status_code == 410
    assert Signature.objects.get().state == SignatureState.PENDING
    petition.refresh_from_db()
    assert petition.signature_count == 0


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: "garbage", lambda t: t.replace(":", "x", 1)])
def test_tampered_link(client: Any, petition: Petition, smtp_server: Any, run_tasks: Any, mangle: Any) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    token = _confirm_link(smtp_server.messages[0]).split("/")[3]
    response = client.post(f"/petitions/confirm/{mangle(token)}/")
    assert response.status_code == 400 and "inte giltig" in response.content.decode()
    assert Signature.objects.get().state == SignatureState.PENDING


def test_confirming_after_close_follows_the_postmark_rule(
    client: Any, petition: Petition, smtp_server: Any, run_tasks: Any, make_staff: Any
) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    services.close_petition(petition=petition, actor=make_staff("campaigner"))
    # Signed while open: the link still confirms while it is valid.
    assert client.post(_confirm_link(smtp_server.messages[0])).status_code == 302
    petition.refresh_from_db()
    assert petition.signature_count == 1


def test_smtp_down_mail_is_retried_and_the_signer_was_told_to_expect_it(
    client: Any, petition: Petition, smtp_server: Any, run_tasks: Any
) -> None:
    smtp_server.fail_with = "451 4.3.0 Try again later"
    response = client.post("/petitions/barnets-rattigheter/", sign_data(), follow=True)
    assert response.status_code == 200
    assert "kolla din e-post" in response.content.decode().lower()
    run_tasks()
    assert smtp_server.messages == []
    assert Signature.objects.get().state == SignatureState.PENDING  # nothing lost
    smtp_server.fail_with = None
    run_tasks()  # the retry is scheduled for later, not now
    assert smtp_server.messages == []
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert run_tasks() == 1
    assert len(smtp_server.messages) == 1
    assert client.post(_confirm_link(smtp_server.messages[0])).status_code == 302


def test_smtp_unreachable_is_retried_too(client: Any, petition: Petition, settings: Any, run_tasks: Any) -> None:
    from conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY", task_path__endswith="send_signature_mail")
    assert waiting.count() == 1 and waiting.get().args_kwargs["args"][2] == 2


def test_keep_informed_starts_the_newsletter_double_opt_in_after_confirmation(
    client: Any, petition: Petition, smtp_server: Any, run_tasks: Any
) -> None:
    client.post("/petitions/barnets-rattigheter/", sign_data(keep_informed="on"))
    run_tasks()
    assert Subscriber.objects.count() == 0  # not before the signer proved the address
    client.post(_confirm_link(smtp_server.messages[0]))
    run_tasks()
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None and subscriber.source == f"petition:{petition.pk}"
    newsletter_mail = smtp_server.messages[1]
    assert any("/newsletter/confirm/" in u for u in links_in(newsletter_mail))


def test_english_signer_gets_english_mail(client: Any, petition: Petition, smtp_server: Any, run_tasks: Any) -> None:
    client.cookies["hotline_language"] = "en"
    page = client.get("/petitions/barnets-rattigheter/")
    assert "Training on children&#x27;s rights" in page.content.decode()
    client.post("/petitions/barnets-rattigheter/", sign_data())
    run_tasks()
    assert subject_of(smtp_server.messages[0]).startswith("Confirm your signature: Training")
    assert "Thank you for signing" in body_of(smtp_server.messages[0])


def test_live_count_json(client: Any, petition: Petition) -> None:
    Petition.objects.filter(pk=petition.pk).update(signature_count=42)
    data = client.get("/petitions/barnets-rattigheter/count.json").json()
    assert data == {"count": 42, "goal": 100, "percent": 42}


def test_no_ip_address_is_stored_anywhere(client: Any, petition: Petition, run_tasks: Any) -> None:
    from django.db import connection

    client.post("/petitions/barnets-rattigheter/", sign_data(), REMOTE_ADDR="198.51.100.77")
    run_tasks()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert "198.51.100" not in repr(row), table


def test_list_shows_open_petitions_first(client: Any, db: Any) -> None:
    make_petition(slug="stangd", state=PetitionState.CLOSED, closed_at=timezone.now(), opened_at=timezone.now())
    make_petition(slug="oppen", opened_at=timezone.now() - timedelta(days=9))
    html = client.get("/petitions/").content.decode()
    assert html.index("/petitions/oppen/") < html.index("/petitions/stangd/")
