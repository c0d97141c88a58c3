"""Hotline's list of live illegal URLs, read by internet providers and filters with a partner key that has the
scope urllist:read (`manage.py create_url_list_key`): JSON or CSV, with the list's version and time. The key is
checked here (Authorization: Bearer); the answer is never cached by anything in between."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.core.authz import PARTNER_KEY, declare
from hotline.intel.services import url_feed
from hotline.staff import selectors as staff_selectors


def _problem(status: int, detail: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"status": status, "detail": detail}), status=status, content_type="application/problem+json"
    )
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    add_never_cache_headers(response)
    return response


def _key_problem(request: HttpRequest) -> tuple[object | None, HttpResponse | None]:
    scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    key = staff_selectors.partner_key_for(token.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        return None, _problem(401, _("Give a valid key: Authorization: Bearer <key>."))
    if key.is_revoked:
        return None, _problem(403, _("This key has been revoked."))
    if url_feed.SCOPE_URL_LIST not in (key.scopes or []):
        return None, _problem(403, _("This key may not read the URL list."))
    return key, None


def _feed(request: HttpRequest, file_format: str) -> HttpResponse:  # or its streamed kind
    key, problem = _key_problem(request)
    if problem is not None:
        return problem
    version = url_feed.latest_version()
    url_feed.record_feed_read(key=key, version=version, file_format=file_format)
    response: HttpResponse | StreamingHttpResponse
    if file_format == "json":
        response = HttpResponse(url_feed.feed_json(version), content_type="application/json")
    else:
        response = StreamingHttpResponse(url_feed.feed_csv(version), content_type="text/csv; charset=utf-8")
    response["X-List-Version"] = str(version.number if version else 0)
    add_never_cache_headers(response)
    return response  # type: ignore[return-value]


@require_GET
def url_list_json(request: HttpRequest) -> HttpResponse:
    return _feed(request, "json")


@require_GET
def url_list_csv(request: HttpRequest) -> HttpResponse:
    return _feed(request, "csv")


declare(url_list_json, PARTNER_KEY)
declare(url_list_csv, PARTNER_KEY)
