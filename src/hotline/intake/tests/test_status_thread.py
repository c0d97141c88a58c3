"""The status page explains every step and shows the thread: the reporter's earlier messages (issue 13, point 5),
and the form says who runs the hotline and who reads a report, as the privacy page does."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from hotline.intake.tests.test_public_pages import form_data, receipt_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_the_status_page_explains_each_step_and_shows_earlier_messages(client: Client) -> None:
    client.cookies["hotline_language"] = "en"
    receipt = receipt_of(client.post("/report/", form_data(description="First."), follow=True))
    page = client.post("/report/status/", {"receipt": receipt}).content.decode()
    steps = re.search(r'<ol class="status-steps".*?</ol>', page, re.S).group(0)  # type: ignore[union-attr]
    assert steps.count("<li") == 4 and steps.count('aria-current="step"') == 1
    assert "It is waiting to be assessed." in steps and "forwarded (for example to the police" in steps
    assert 'class="thread"' not in page  # nothing written yet
    client.post("/report/status/", {"receipt": receipt, "message": "It was posted again."})
    client.post("/report/status/", {"receipt": receipt, "message": "And once more."})
    page = client.post("/report/status/", {"receipt": receipt}).content.decode()
    thread = re.search(r'<ol class="thread".*?</ol>', page, re.S).group(0)  # type: ignore[union-attr]
    assert thread.index("It was posted again.") < thread.index("And once more.") and thread.count("You wrote") == 2


def test_the_form_says_who_runs_the_hotline_and_who_reads_a_report(client: Client, settings: object) -> None:
    client.cookies["hotline_language"] = "en"
    html = client.get("/report/").content.decode()
    assert "runs this hotline." in html and "INHOPE" not in html
    assert "the police also get your description, never your contact details" in html
    privacy = client.get("/privacy/").content.decode()
    assert "The police also get your description" in privacy and "never passed on" in privacy
    settings.HOTLINE_INHOPE_MEMBER = True  # type: ignore[attr-defined]
    assert "as a member of INHOPE" in client.get("/report/").content.decode()


def test_the_receipt_field_brings_up_the_number_keyboard(client: Client) -> None:
    html = client.get("/report/status/").content.decode()
    assert re.search(r'<input[^>]*id="id_receipt"[^>]*inputmode="numeric"', html)
