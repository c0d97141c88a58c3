"""Swedish by default, English on request, switched with a plain form (no JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_swedish_is_the_default(client: Any) -> None:
    response = client.get("/")
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv">' in response.content.decode()
    assert "Lämna ett tips" in response.content.decode()


def test_switching_to_english_and_back(client: Any) -> None:
    response = client.post("/language/", {"language": "en", "next": "/report/"})
    assert response.status_code == 302 and response["Location"] == "/report/"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page and "Make a report" in page
    client.post("/language/", {"language": "sv", "next": "/"})
    assert "Lämna ett tips" in client.get("/").content.decode()


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(client: Any) -> None:
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get("/")["Content-Language"] == "sv"


def test_language_switch_is_post_only(client: Any) -> None:
    assert client.get("/language/").status_code == 405
