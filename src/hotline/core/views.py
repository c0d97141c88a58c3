"""Public home page, privacy page, language switch, health and readiness checks, metrics and error pages."""

from __future__ import annotations

import sys

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from hotline.core import conf, health, languages, metrics, registry
from hotline.core.authz import public
from hotline.core.formguard import guarded_form
from hotline.core.middleware import database_unavailable, database_unavailable_page


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


def _language_refused(request: HttpRequest) -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


@public
@guarded_form(_language_refused)
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
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: this process answers. No database: a database outage must not get every web process
    restarted by its supervisor (that is what /readyz tells a load balancer)."""
    return JsonResponse({"status": "ok"})


@public
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database answers and every migration is applied, else 503. The body names the
    checks; the figures behind them (task backlog, failed deliveries) only for a caller with the metrics token.
    It never names a host, URL or receipt."""
    detail = health.holds_metrics_token(request)
    state = health.readiness(detail=detail)
    response = JsonResponse(state.body(detail=detail), status=200 if state.ready else 503)
    if not state.ready:
        response["Retry-After"] = "30"
    return response


@public  # no staff login: the view asks for HOTLINE_METRICS_TOKEN itself
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a bearer of HOTLINE_METRICS_TOKEN; 404 while that setting is unset (metrics off:
    nothing says they exist), 401 without the right token."""
    if not conf.metrics_token():
        raise Http404
    if not health.holds_metrics_token(request):
        response = HttpResponse(b"401 Unauthorized: send Authorization: Bearer <HOTLINE_METRICS_TOKEN>\n", status=401)
        response["Content-Type"] = "text/plain; charset=utf-8"
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)


def _error(request: HttpRequest, status: int) -> HttpResponse:
    return render(request, f"{status}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page; the 503 page when the database is unreachable. Middleware before the view (the session of
    a signed-in user) raises that outside the view, and the 500 page's own context would need the database too:
    found by tests/resilience when PostgreSQL restarted under load (granian answered a bare 500)."""
    if database_unavailable(sys.exc_info()[1]):
        return database_unavailable_page()
    try:
        return _error(request, 500)
    except Exception as exc:
        if database_unavailable(exc):
            return database_unavailable_page()
        raise


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without its CSRF cookie or token (settings.CSRF_FAILURE_VIEW): Django's own page is in
    English and knows nothing of the site; this one says what to do, in the visitor's language."""
    return render(request, "403_csrf.html", status=403)
