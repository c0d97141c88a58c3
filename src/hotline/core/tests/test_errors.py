"""Domain errors: statuses, messages, and the one decorator that answers an uncaught one with a 4xx page
in the visitor's language (Swedish by default, English when chosen)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext_lazy

from hotline.core.authz import public
from hotline.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionRefused,
    RateLimited,
    refusal_page,
)


def test_each_base_has_its_status_and_a_message_for_people() -> None:
    assert [e.status for e in (DomainError, PermissionRefused, NotFound, Conflict, RateLimited)] == [
        400,
        403,
        404,
        409,
        429,
    ]
    with translation.override("en"):
        assert str(Conflict()) == "This changed in the meantime. Reload the page and try again."
        assert str(DomainError("Give a name.")) == "Give a name."
    with translation.override("sv"):
        assert str(PermissionRefused()) == "Du får inte göra det här."


def test_a_lazy_message_is_translated_when_shown() -> None:
    error = NotFound(gettext_lazy("This was not found."))
    with translation.override("sv"):
        assert str(error) == "Det här hittades inte."
    with translation.override("en"):
        assert str(error) == "This was not found."


def test_rate_limited_carries_retry_after() -> None:
    assert RateLimited().retry_after is None
    assert RateLimited("Wait.", retry_after=30).retry_after == 30


# --- the decorator, through the whole middleware stack -----------------------------------------------
class Unexpected(Exception):
    pass


@public
@refusal_page()
def refuse(request: HttpRequest, what: str) -> HttpResponse:
    if what == "conflict":
        raise Conflict()
    if what == "slow-down":
        raise RateLimited(gettext_lazy("Too many attempts. Please wait a while and try again."), retry_after=120)
    if what == "crash":
        raise Unexpected
    return HttpResponse("done")


def _page_title(request: HttpRequest, error: DomainError, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"what": kwargs["what"], "kind": type(error).__name__}


@public
@refusal_page("core/refused.html", context=_page_title)
def refuse_with_context(request: HttpRequest, what: str) -> HttpResponse:
    raise NotFound()


urlpatterns = [
    path("refuse/<str:what>/", refuse),
    path("refuse-with-context/<str:what>/", refuse_with_context),
]


@pytest.fixture
def site(db: Any) -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield Client(raise_request_exception=False)


def test_an_uncaught_domain_error_is_its_4xx_page_in_swedish_by_default(site: Client) -> None:
    response = site.get("/refuse/conflict/")
    assert response.status_code == 409
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert "Det här utfördes inte" in html
    assert "Det här har ändrats under tiden. Ladda om sidan och försök igen." in html


def test_the_page_follows_the_visitors_language(site: Client) -> None:
    site.cookies["hotline_language"] = "en"
    html = site.get("/refuse/conflict/").content.decode()
    assert '<html lang="en">' in html and "This was not done" in html
    assert "This changed in the meantime. Reload the page and try again." in html


def test_a_rate_limit_says_when_to_come_back(site: Client) -> None:
    response = site.get("/refuse/slow-down/")
    assert response.status_code == 429 and response["Retry-After"] == "120"
    assert "För många försök. Vänta en stund och försök igen." in response.content.decode()


def test_anything_else_is_not_hidden(site: Client) -> None:
    assert site.get("/refuse/crash/").status_code == 500
    assert site.get("/refuse/nothing/").content == b"done"


def test_the_page_gets_the_views_context(site: Client) -> None:
    response = site.get("/refuse-with-context/x/")
    assert response.status_code == 404
    assert response.context["what"] == "x" and response.context["kind"] == "NotFound"


def test_the_500_page_is_the_503_page_when_the_database_cannot_be_reached(rf: Any, monkeypatch: Any) -> None:
    """An unreachable database raised before the view (the session of a signed-in user) reaches the 500 handler,
    whose page needs the database too: granian answered a bare 500 while PostgreSQL restarted (tests/resilience)."""
    from django.db import OperationalError

    from hotline.core import views

    request = rf.get("/cases/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = views.server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "30"

    def needs_the_database(request: Any, status: int) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_error", needs_the_database)
    response = views.server_error(request)
    assert response.status_code == 503
    monkeypatch.setattr(views, "_error", lambda request, status: (_ for _ in ()).throw(ValueError("other")))
    with pytest.raises(ValueError):
        views.server_error(request)
