"""Staff pages of intake: entering a phone/email report (partner keys: staff/tests/test_partner_keys.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hotline.cases.models import Channel, Report
from hotline.core.models import AuditEntry
from hotline.intake.receipts import receipt_index

pytestmark = pytest.mark.django_db


def staff_form(**extra: Any) -> dict[str, Any]:
    data = {
        "received_via": "phone",
        "language": "sv",
        "kind": "online_material",
        "url_fields": "3",
        "url_1": "https://phoned-in.example/page",
        "description": "The caller saw it in a forum.",
        "nexus_victim": "yes",
        "nexus_offender": "unknown",
        "nexus_place": "unknown",
        "action": "send",
    }
    data.update(extra)
    return data


def test_analyst_enters_a_phone_report(staff_client: Any) -> None:
    client = staff_client("analyst")
    assert client.get("/report/staff/new/").status_code == 200
    response = client.post("/report/staff/new/", staff_form())
    assert response.status_code == 200
    receipt = re.search(rb'<p class="receipt">([\d ]+)</p>', response.content).group(1).decode()
    report = Report.objects.get()
    assert report.channel == Channel.STAFF and report.source_name == "phone" and report.entered_by == client.user
    assert report.nexus_victim == "yes" and report.receipt_index == receipt_index(receipt)
    entry = AuditEntry.objects.get(action="report.received")
    assert entry.actor_id == client.user.pk


def test_staff_form_validates_like_the_public_one(staff_client: Any) -> None:
    client = staff_client("supervisor")
    response = client.post("/report/staff/new/", staff_form(url_1="http://127.0.0.1/", description=""))
    assert response.status_code == 400 and b'aria-invalid="true"' in response.content
    more = client.post("/report/staff/new/", staff_form(action="add_url"))
    assert len(re.findall(rb'name="url_\d', more.content)) == 4 and Report.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "staff_words", "public_words"),
    [
        (
            "sv",
            ["Tipsarens beskrivning", "Registrera tipset", "Tipsarens kontaktuppgifter", "Tipsarens språk"],
            ["Beskriv vad du såg", "Hur kan vi kontakta dig"],
        ),
        (
            "en",
            ["The tipster&#x27;s description", "Register the tip", "The tipster&#x27;s contact details"],
            ["Describe what you saw", "How can we contact you", "worries you", "Do you know if"],
        ),
    ],
)
def test_the_staff_form_speaks_to_staff_not_to_you(
    staff_client: Any, language: str, staff_words: list[str], public_words: list[str]
) -> None:
    """Staff-entered reports speak to the staff member about the tipster (docs/glossary.md), in both languages;
    the public form's "you" wording never appears on it, nor on the page that answers the saved report."""
    client = staff_client("analyst")
    client.cookies["hotline_language"] = language
    html = client.get(
        "/report/staff/new/",
    ).content.decode()
    for words in staff_words:
        assert words in html, words
    for words in public_words:
        assert words not in html, words
    done = client.post(
        "/report/staff/new/",
        staff_form(),
    ).content.decode()
    assert ("Tipset" in done or "Tip " in done) and " your " not in done.lower()
