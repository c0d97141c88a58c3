"""Security headers, the onion host's exceptions, the page's language and failure pages: one place, every response."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import Morsel
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.request import split_domain_port
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import escape_uri_path

from hotline.core import conf, languages
from hotline.core.authz import PUBLIC, declared_access

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


class SecurityHeadersMiddleware:
    """Headers every Hotline response carries; tests in core/tests pin them.

    `Cache-Control: no-store` goes on every dynamic response: public pages show receipts and
    staff pages show cases, and neither belongs in a shared or browser cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
            response.setdefault("Pragma", "no-cache")
        onion = conf.onion_address()
        if (
            onion
            and not getattr(request, "hotline_onion", False)
            and getattr(request, "hotline_public_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            # Tor Browser offers the onion site for this page (it reads the header on https pages only).
            # The path only: public pages take no query strings, and none is ever echoed back.
            response["Onion-Location"] = f"http://{onion}{escape_uri_path(request.path)}"
        return response


_PREFIXES = ("__Host-", "__Secure-")


def _host(request: HttpRequest) -> str:
    try:
        return split_domain_port(request.get_host())[0]
    except DisallowedHost:
        return ""  # CommonMiddleware answers it (400) as for any host not allowed


class OnionHostMiddleware:
    """The onion service's host (HOTLINE_ONION_ADDRESS, docs/onion.md) next to the normal https one.

    Tor Browser reaches it over http, encrypted and authenticated end to end by Tor: there is no certificate,
    so no HTTPS redirect and no HSTS there, and cookies without `Secure` (browsers may drop a Secure or
    `__Host-` cookie on an http page, and every form would then fail its CSRF check). The cookies keep their
    other flags and stay on that host only (no Domain). Every other host keeps all of it.

    Django's SecurityMiddleware cannot tell hosts apart, so with an onion address settings.py turns its
    redirect off and this middleware (right after it) redirects every host but the onion one instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        onion = conf.onion_address()
        if not onion:
            return self.get_response(request)
        request.hotline_onion = _host(request) == onion  # type: ignore[attr-defined]
        if not request.hotline_onion:  # type: ignore[attr-defined]
            if getattr(settings, "HOTLINE_SSL_REDIRECT", False) and not request.is_secure():
                return HttpResponsePermanentRedirect(f"https://{request.get_host()}{request.get_full_path()}")
            return self.get_response(request)
        self._cookies_in(request)
        response = self.get_response(request)
        if "Strict-Transport-Security" in response:
            del response["Strict-Transport-Security"]
        self._cookies_out(response)
        return response

    @staticmethod
    def _cookies_in(request: HttpRequest) -> None:
        """A prefixed cookie (__Host-csrftoken) arrives under its plain name: give it to Django under its own."""
        for name in (settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_NAME):
            plain = _plain_name(name)
            if plain != name and plain in request.COOKIES:
                request.COOKIES[name] = request.COOKIES.pop(plain)

    @staticmethod
    def _cookies_out(response: HttpResponse) -> None:
        for name, morsel in list(response.cookies.items()):
            plain = _plain_name(name)
            attributes: dict[str, Any] = {key: morsel[key] for key in morsel if morsel[key]}
            attributes.pop("secure", None)
            if plain != name:
                del response.cookies[name]
            fresh: Morsel[str] = Morsel()
            fresh.set(plain, morsel.value, morsel.coded_value)
            fresh.update(attributes)
            response.cookies[plain] = fresh


def _plain_name(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def database_unavailable(exception: BaseException | None) -> bool:
    """Whether `exception` says the database cannot be reached (down, restarting, refusing connections)."""
    return isinstance(exception, (OperationalError, InterfaceError)) or type(exception) is DatabaseError


def database_unavailable_page() -> HttpResponse:
    """The 503 page, rendered without the request: its context processors would read the session, from the
    database that is down."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        "LANGUAGE_CODE": code,
        "html_lang": languages.html_lang(code),
        "page_rtl": languages.is_rtl(code),
        "quick_exit_url": conf.quick_exit_url(),
        "HOTLINE_ORGANISATION": settings.HOTLINE_ORGANISATION,
    }
    body = render_to_string("503.html", context)
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    return response


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached gives a 503 page, never a stack trace (the views' errors here; those
    of the session and authentication middleware reach core.views.server_error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_unavailable(exception):
            return database_unavailable_page()
        return None


class LanguageMiddleware:
    """The page's language from the visitor's choice (a cookie; no language prefix in URLs), Swedish by default.

    Reporter pages (hotline.core.languages) are shown in any language of HOTLINE_PUBLIC_LANGUAGES, every other
    page in Swedish or English only: a visitor who chose, say, Arabic sees a staff or petition page in
    English. Until the view is known (and for pages no view answers: 404) the page counts as a reporter page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        request.hotline_chosen_language = chosen  # type: ignore[attr-defined]
        self._activate(request, reporter_page=True)
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", languages.html_lang(request.LANGUAGE_CODE))  # type: ignore[attr-defined]
        translation.deactivate()
        return response

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        if not languages.is_reporter_view(view):
            self._activate(request, reporter_page=False)
            # Public all the same (petitions, newsletter, the API's contract): Onion-Location still applies.
            request.hotline_public_page = PUBLIC in (declared_access(view) or ())  # type: ignore[attr-defined]

    @staticmethod
    def _activate(request: HttpRequest, *, reporter_page: bool) -> None:
        chosen: str = request.hotline_chosen_language  # type: ignore[attr-defined]
        offered = conf.public_languages() if reporter_page else languages.STAFF_LANGUAGES
        if chosen in offered:
            code = chosen
        elif not reporter_page and chosen in languages.CODES:
            code = "en"  # chose a language this page does not have: English is what its strings fall back to
        else:
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
        request.hotline_page_languages = offered  # type: ignore[attr-defined]
        request.hotline_public_page = reporter_page  # type: ignore[attr-defined]
