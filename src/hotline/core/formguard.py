"""Cross-site request forgery protection of the public forms without a cookie (docs/security.md, "Public forms").

Django's CSRF check needs its cookie; a browser that blocks cookies (or a private mode that drops them)
then gets a refusal and loses what it typed. The public forms (report, status, petitions, newsletter, the
language switch) are guarded here instead, in this order:

1. `Sec-Fetch-Site` (sent by every current browser): only `same-origin` passes.
2. Else `Origin` (sent with every cross-site POST by browsers since 2020): only this site's own origin, or
   one of CSRF_TRUSTED_ORIGINS, passes; `null` does not.
3. Else (an old browser that sends neither): the form's token must be valid. It is a keyed hash (HMAC
   under a key derived from SECRET_KEY) of when it was issued and of the client's address, so a token an
   attacker fetched for itself is refused when the victim's browser posts it. Nothing is stored.

The token travels in the field Django's own token uses (`csrfmiddlewaretoken`), so forms and clients keep
one name. A view guarded here is exempt from Django's check; its refusal is the view's own page (the form
again, with what was typed), never Django's.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.csrf import csrf_exempt

from hotline.core import clients

FIELD = "csrfmiddlewaretoken"

VALID_SECONDS = 12 * 3600  # a frightened reporter may take long to write; older tokens get the form again
_SALT = "hotline.core.formguard"

View = Callable[..., HttpResponse]
Refusal = Callable[..., HttpResponse]  # (request, *args, **kwargs) of the view it refuses for


def _mac(issued: int, client: str) -> str:
    return salted_hmac(_SALT, f"{issued}|{client}", algorithm="sha256").hexdigest()[:32]


def form_token(request: HttpRequest, *, now: float | None = None) -> str:
    """A token for this client's forms: '<issued>.<mac>' (no cookie, nothing stored)."""
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_mac(issued, clients.client_address(request))}"


def token_field(request: HttpRequest) -> SafeString:
    """The hidden field every public form carries."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, form_token(request))


def token_is_valid(request: HttpRequest, token: str, *, now: float | None = None) -> bool:
    issued_text, _, mac = (token or "").partition(".")
    if not issued_text.isdigit() or len(mac) != 32:
        return False
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if not -60 <= age <= VALID_SECONDS:  # a minute of clock skew between web processes
        return False
    return hmac.compare_digest(mac, _mac(issued, clients.client_address(request)))


def _own_origins(request: HttpRequest) -> set[str]:
    return {f"{request.scheme}://{request.get_host()}", *getattr(settings, "CSRF_TRUSTED_ORIGINS", ())}


def refusal_reason(request: HttpRequest) -> str:
    """'' when the POST may be taken; else why not, in a word (for tests and the refusal page's choice)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return "" if fetch_site == "same-origin" else "cross-site"
    origin = request.headers.get("Origin")
    if origin is not None:
        return "" if origin in _own_origins(request) else "cross-origin"
    return "" if token_is_valid(request, request.POST.get(FIELD, "")) else "token"


def guarded_form(refused: Refusal | None = None) -> Callable[[View], View]:
    """Guard a public view's POST here instead of with Django's cookie check; `refused(request, *args, **kwargs)`
    answers a refused POST (the view's own page, with what was typed and a fresh token, status 403). Without
    `refused`, the page the view shows on GET, with status 403. Either way the page says above its content
    (base.html, `request.hotline_form_refused`) that nothing was sent and why."""

    def decorate(view: View) -> View:
        def shown_again(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.method = "GET"
            response = view(request, *args, **kwargs)
            response.status_code = 403
            return response

        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # The test client's default (no CSRF checks) is honoured as Django's own check honours it.
            checked = request.method == "POST" and not getattr(request, "_dont_enforce_csrf_checks", False)
            if checked and refusal_reason(request):
                request.hotline_form_refused = True  # type: ignore[attr-defined]
                return (refused or shown_again)(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        return csrf_exempt(guarded)

    return decorate
