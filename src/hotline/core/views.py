"""Public home page, privacy page, language switch, health check and error pages."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hotline.core import conf, languages, registry
from hotline.core.authz import public


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@public
def privacy(request: HttpRequest) -> HttpResponse:
    """What the site stores about the public and for how long, with the periods this installation uses
    (each app registers its own facts: hotline.core.registry)."""
    return render(
        request, "core/privacy.html", {**registry.privacy_facts(), "contact": settings.HOTLINE_PRIVACY_CONTACT}
    )


@public
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Language switch as a plain form POST (works without JavaScript)."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    # Any public language, and Swedish and English always (staff pages offer those two).
    if code in conf.public_languages() or code in languages.STAFF_LANGUAGES:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            # Secure on https (production), not on the onion service's http (docs/onion.md).
            secure=request.is_secure(),
            httponly=True,
        )
    return response


@public
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _error(request: HttpRequest, status: int) -> HttpResponse:
    return render(request, f"{status}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without its CSRF cookie or token (settings.CSRF_FAILURE_VIEW): Django's own page is in
    English and knows nothing of the site; this one says what to do, in the visitor's language."""
    return render(request, "403_csrf.html", status=403)
