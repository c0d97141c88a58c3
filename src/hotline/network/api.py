"""The protocol's endpoints (docs/network-protocol.md): GET identity (signed), POST inbox, GET schemas. Thin:
parse the request, call one service, answer its bytes exactly."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from hotline.core.authz import public
from hotline.core.errors import DomainError
from hotline.network import own_key, services
from hotline.network.protocol import (
    IDENTITY_PATH,
    MAX_BODY_BYTES,
    MEDIA_TYPE,
    BodyTooLarge,
    ProtocolError,
    encode_message,
    endpoint_url,
    key_id,
    schema_text,
    sign_response,
)
from hotline.network.services.inbox import Answer, NotSetUp


class HttpsRequired(ProtocolError):
    code = "https-required"
    status = 403
    title = "The hotline network is spoken over HTTPS"


def _response(answer: Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        if name.lower() != "content-type":
            response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _plain_problem(refusal: ProtocolError) -> HttpResponse:
    return HttpResponse(
        encode_message(refusal.problem()), status=refusal.status, content_type="application/problem+json"
    )


def _loopback(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _transport_allowed(request: HttpRequest) -> bool:
    """HTTPS, or plain HTTP from loopback outside production (development, tests, make run-network)."""
    return request.is_secure() or (not settings.PRODUCTION and _loopback(request))


def signed_by_partner(view: Any) -> Any:
    """Access mark of the inbox: no login; only a request signed with a pinned key of an active partner is
    applied (checked by services.receive), everything else gets its problem answer."""
    view.hotline_access = frozenset({"network_signature"})
    return view


@public
@require_GET
def identity(request: HttpRequest) -> HttpResponse:
    if not _transport_allowed(request):
        return _plain_problem(HttpsRequired("Fetch the identity over https."))
    try:
        document = services.identity_document()
        key = own_key.private_key()
    except (DomainError, OSError):
        return _plain_problem(NotSetUp("This hotline is not set up for the network yet."))
    body = encode_message(document)
    headers = {"Content-Type": MEDIA_TYPE}
    request_headers = dict(request.headers.items())
    headers |= sign_response(
        200,
        headers,
        body,
        request_method="GET",
        request_url=endpoint_url(document["base_url"], IDENTITY_PATH),
        request_headers=request_headers,
        private_key=key,
        key_id=key_id(key.public_key()),
        created=timezone.now(),
    )
    return _response(Answer(status=200, content_type=MEDIA_TYPE, body=body, headers=headers))


@signed_by_partner
@csrf_exempt  # a machine endpoint: the signature, not a cookie, says who is asking
@require_POST
def inbox(request: HttpRequest) -> HttpResponse:
    headers = dict(request.headers.items())
    if not _transport_allowed(request):
        return _response(services.receive(headers=headers, body=b"", refuse=HttpsRequired("Deliver over https.")))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:  # refused before the body is read
        return _response(services.receive(headers=headers, body=b"", refuse=BodyTooLarge("The body is too large.")))
    return _response(services.receive(headers=headers, body=request.body))


@public
@require_GET
def schema(request: HttpRequest, name: str) -> HttpResponse:
    try:
        text = schema_text(name)
    except (KeyError, ValueError, OSError) as exc:
        raise Http404("No such schema.") from exc
    return HttpResponse(text, content_type="application/schema+json")
