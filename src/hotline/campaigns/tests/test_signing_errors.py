"""The sign form says every problem at once: an error summary linking to each field, each message at its field,
and a signature refused by the cookie-free form guard keeps what was typed (issue 13, points 2 and 6)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from hotline.campaigns.models import Petition, Signature
from hotline.campaigns.tests.conftest import sign_data

pytestmark = pytest.mark.django_db
URL = "/petitions/barnets-rattigheter/"


def test_every_problem_is_shown_at_once_each_next_to_its_field(client: Client, petition: Petition) -> None:
    client.cookies["hotline_language"] = "en"
    response = client.post(URL, sign_data(name="", email="not-an-address", municipality="", consent=None))
    html = response.content.decode()
    assert response.status_code == 400 and Signature.objects.count() == 0
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)  # type: ignore[union-attr]
    links = re.findall(r'href="#(id_\w+)"', summary)
    assert links == ["id_name", "id_email", "id_municipality", "id_consent"]  # in the form's order
    for field in links:  # each message also stands at its field, which points to it
        assert f'id="{field}_error"' in html and re.search(rf'aria-describedby="[^"]*{field}_error', html)
    assert "You need to agree to the terms to sign." in html.split("</div>", 1)[1]
    assert 'value="not-an-address"' in html  # what was typed is kept


def test_a_signature_without_cookie_or_token_from_another_site_is_refused_keeping_the_name(petition: Petition) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies["hotline_language"] = "en"
    response = strict.post(URL, sign_data(name="Kept Name"), HTTP_SEC_FETCH_SITE="cross-site")
    html = response.content.decode()
    assert response.status_code == 403 and "Nothing has been sent yet" in html and 'value="Kept Name"' in html
    assert Signature.objects.count() == 0
    page = strict.get(URL)
    assert not page.cookies
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)  # type: ignore[union-attr]
    signed: Any = strict.post(URL, {**sign_data(), "csrfmiddlewaretoken": token})
    assert signed.status_code == 302 and Signature.objects.count() == 1


def test_a_newsletter_subscription_needs_no_cookie_and_a_forged_one_keeps_the_address() -> None:
    from hotline.campaigns.models import Subscriber

    strict = Client(enforce_csrf_checks=True)
    strict.cookies["hotline_language"] = "en"
    forged = strict.post("/newsletter/", {"email": "kept@example.test"}, HTTP_ORIGIN="https://elsewhere.example.test")
    assert forged.status_code == 403 and 'value="kept@example.test"' in forged.content.decode()
    assert Subscriber.objects.count() == 0
    page = strict.get("/newsletter/")
    assert not page.cookies
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)  # type: ignore[union-attr]
    subscribed = strict.post(
        "/newsletter/", {"email": "kept@example.test", "language": "en", "csrfmiddlewaretoken": token}
    )
    assert subscribed.status_code == 302 and Subscriber.objects.count() == 1
