"""The public privacy page: in Swedish and English, with the periods this installation uses, linked
from every public page and from each form that takes personal data."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def page(client: Client, language: str) -> str:
    client.cookies["hotline_language"] = language
    response = client.get("/privacy/")
    assert response.status_code == 200
    return response.content.decode()


def test_in_swedish_by_default_and_in_english() -> None:
    swedish = Client().get("/privacy/").content.decode()
    assert "Integritet" in swedish and "Vi loggar inte din IP-adress" in swedish
    english = page(Client(), "en")
    assert "We do not log your IP address" in english
    assert "Your contact details themselves are never passed on" in english


def test_the_periods_are_this_installations(monkeypatch: Any) -> None:
    monkeypatch.setenv("HOTLINE_PETITION_PENDING_DAYS", "1")
    monkeypatch.setenv("HOTLINE_PETITION_RETENTION_MONTHS", "9")
    monkeypatch.setenv("HOTLINE_NEWSLETTER_UNCONFIRMED_DAYS", "12")
    monkeypatch.setenv("HOTLINE_NEWSLETTER_UNSUBSCRIBED_DAYS", "45")
    english = page(Client(), "en")
    assert "it is deleted after 1 day." in english  # singular
    assert "erased 9 months after the petition closes" in english
    assert "deleted after 12 days." in english and "deleted 45 days later" in english
    swedish = page(Client(), "sv")
    assert "raderas den efter 1 dag." in swedish and "raderas 9 månader efter" in swedish


@pytest.mark.parametrize(
    ("path", "anchor"),
    [("/", "/privacy/"), ("/report/", "/privacy/#reports"), ("/newsletter/", "/privacy/#newsletter")],
)
def test_linked_from_public_pages_and_forms(client: Client, path: str, anchor: str) -> None:
    assert f'href="{anchor}"' in client.get(path).content.decode()


def test_questions_go_to_the_configured_address(settings: Any) -> None:
    settings.HOTLINE_PRIVACY_CONTACT = "dataskydd@hotline.example"
    assert 'href="mailto:dataskydd@hotline.example"' in page(Client(), "sv")


def test_says_when_reporters_texts_are_erased_if_a_period_is_set(settings: Any) -> None:
    assert "not deleted automatically yet" in page(Client(), "en")
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 180
    english = page(Client(), "en")
    assert "is erased 180 days after the hotline has closed the last case" in english
    assert "not deleted automatically yet" not in english
    assert "raderas 180 dagar efter att hotlinen stängt" in page(Client(), "sv")
