"""The partner API (/api/v1/...): create reports (one or a batch), read the status of one's own reports.

Every error is an RFC 9457 problem (application/problem+json) made in one place (`problem`); no input
gives a 500. Keys are bearer tokens checked in PartnerKeyAuth; the rules of a report live in services.
"""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, Header, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from hotline.cases.rules import HashInput, report_hash_problems
from hotline.core.errors import DomainError, NotFound, PermissionRefused, RateLimited
from hotline.core.middleware import database_unavailable
from hotline.intake import conf, selectors, services
from hotline.intake.ratelimit import Decision
from hotline.intake.rules import MAX_API_HASHES, PartnerReportInput
from hotline.staff import selectors as staff_selectors
from hotline.staff.models import SCOPE_CREATE, SCOPE_READ, PartnerKey

logger = logging.getLogger("hotline.intake.api")
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/api/docs#problem-"

TITLES = {
    400: gettext_lazy("Malformed request"),
    401: gettext_lazy("Missing or unknown API key"),
    403: gettext_lazy("Not allowed"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Request body too large"),
    415: gettext_lazy("Unsupported content type"),
    422: gettext_lazy("Validation failed"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Internal error"),
    503: gettext_lazy("Briefly unavailable"),
}
SLUGS = {
    400: "malformed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method",
    413: "too-large",
    415: "content-type",
    422: "validation",
    429: "rate-limited",
    500: "internal",
    503: "unavailable",
}


# --- errors ------------------------------------------------------------------------------------
class UnsupportedMediaType(Exception):
    pass


class BodyTooLarge(Exception):
    pass


class MalformedJson(Exception):
    pass


def problem(
    status: int,
    detail: Any,
    *,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or SLUGS.get(status, "error")),
        "title": str(TITLES.get(status, _("Error"))),
        "status": status,
        "detail": str(detail),
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _pointer(parts: list[Any]) -> str:
    return "".join(f"/{p}" for p in parts)


def _field(parts: list[Any]) -> str:
    return ".".join(str(p) for p in parts)


def field_error(parts: list[Any], message: str) -> dict[str, str]:
    return {"field": _field(parts), "pointer": _pointer(parts), "detail": message}


def _pydantic_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg") or _("Invalid value."))
    kind = error.get("type", "")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field (see /api/openapi.json for the fields a report has).")
    return message.removeprefix("Value error, ")


# --- parsing and authentication ------------------------------------------------------------------
class CheckedJsonParser(Parser):
    """JSON only, size-limited; each failure becomes its own problem (415, 413, 400)."""

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(content_type)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError as exc:
            raise MalformedJson("bad Content-Length") from exc
        if length > conf.api_max_body_bytes():
            raise BodyTooLarge(length)
        try:
            body = request.body
        except RequestDataTooBig as exc:
            raise BodyTooLarge(length) from exc
        if len(body) > conf.api_max_body_bytes():
            raise BodyTooLarge(len(body))
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise MalformedJson(type(exc).__name__) from exc


def api_language(request: HttpRequest) -> str:
    """Messages in English unless the partner asks for Swedish (Accept-Language: sv)."""
    accepted = request.META.get("HTTP_ACCEPT_LANGUAGE", "").lower()
    return "sv" if accepted.startswith("sv") else "en"


class PartnerKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`; unknown key 401, revoked 403, over the rate 429."""

    def __call__(self, request: HttpRequest) -> Any:
        # Runs first for every operation (before the body is read): every message of the answer,
        # problems and per-field ones, is in this language, whatever the site's language is.
        language = api_language(request)
        if translation.get_language() != language:
            translation.activate(language)
        # HttpBearer's own parsing, read straight from META (request.headers would first copy every
        # header), and without its DEBUG log line, which would print the key.
        scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if not token or scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> PartnerKey | None:
        # Writes refuse a revoked key in the statement that would store the report, so for them a key
        # read in the last minute will do; reads always look it up.
        if request.method == "POST":
            key = staff_selectors.partner_key_for_write(token.strip())
        else:
            key = staff_selectors.partner_key_for(token.strip())
        if key is None:
            return None
        if key.is_revoked:
            raise services.KeyRevoked()
        # Every request is counted against the key's limit by the operation itself: a write in the
        # same statement as the report, a read before it reads, a refused request on its own.
        return key


def _require_scope(request: HttpRequest, scope: str) -> PartnerKey:
    key: PartnerKey = request.auth  # type: ignore[attr-defined]
    if scope not in (key.scopes or []):
        raise PermissionRefused(_("This API key does not have the scope %(scope)s.") % {"scope": repr(scope)})
    return key


# --- schemas -------------------------------------------------------------------------------------
Kind = Literal["online_material", "trafficking", "grooming", "sextortion", "travelling_offender", "other"]
Nexus = Literal["yes", "no", "unknown"]


HashType = Literal["md5", "sha1", "sha256", "pdq"]
EXAMPLE_HASHES = [
    {"type": "sha256", "value": "0f" * 32},
    {"type": "md5", "value": "1e" * 16},
    {"type": "pdq", "value": "2d" * 32, "quality": 90},
]


class HashIn(BaseModel):
    """A hash of the material, made by the sender's own tools (the hotline never computes one itself)."""

    model_config = ConfigDict(extra="forbid")

    type: HashType = Field(description="md5, sha1, sha256 or pdq.")
    value: str = Field(max_length=80, description="Hexadecimal digits (any case; stored in lower case).")
    quality: int | None = Field(
        None, ge=0, le=100, description="PDQ's own quality score, 0 to 100 (pdq only, optional)."
    )

    @field_validator("value")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @model_validator(mode="after")
    def _valid(self) -> HashIn:
        # The same rules as every other channel's hashes (cases.rules), so what is accepted here is stored.
        problems = report_hash_problems([self.to_input()])
        if problems:
            raise ValueError(next(iter(problems.values())))
        return self

    def to_input(self) -> HashInput:
        return HashInput(kind=self.type, value=self.value, quality=self.quality)


class ReportIn(BaseModel):
    """One report. URLs are checked (a web address, not a private/loopback/link-local host, not too long);
    a report without URLs needs a description."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field(description="What the report is about.")
    urls: list[str] = Field(default_factory=list, max_length=20, description="Reported URLs, as seen (at most 20).")
    description: str = Field("", max_length=10_000, description="What was seen (required when there are no URLs).")
    where_seen: str = Field("", max_length=1_000, description="Where it was seen (app, forum, ...).")
    contact: str = Field("", max_length=500, description="The reporter's contact details, only if they gave them.")
    reporter_classification: str = Field(
        "", max_length=64, description="The reporter's (or partner's) own classification, a short code."
    )
    nexus_victim: Nexus = Field("unknown", description="Is the victim in the hotline's country?")
    nexus_offender: Nexus = Field("unknown", description="Is the offender in the hotline's country?")
    nexus_place: Nexus = Field("unknown", description="Did it happen in the hotline's country?")
    language: str = Field("sv", max_length=8, description="Language of the report's text (sv, en, ...).")
    hashes: list[HashIn] = Field(
        default_factory=list,
        max_length=MAX_API_HASHES,
        description=(
            f"Hashes of the material, when your tools made them (at most {MAX_API_HASHES}; optional). "
            "Matched against the hotline's hash lists at triage."
        ),
        examples=[EXAMPLE_HASHES],
    )

    def to_input(self) -> PartnerReportInput:
        return PartnerReportInput(
            kind=self.kind,
            urls=list(self.urls),
            description=self.description,
            where_seen=self.where_seen,
            contact=self.contact,
            reporter_classification=self.reporter_classification,
            nexus_victim=self.nexus_victim,
            nexus_offender=self.nexus_offender,
            nexus_place=self.nexus_place,
            language=self.language,
            hashes=[h.to_input() for h in self.hashes],
        )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reports: list[ReportIn] = Field(min_length=1, max_length=1000, description="1 to 1000 reports, all or nothing.")


class ReportCreated(Schema):
    id: UUID
    status: Literal["received"]
    received_at: datetime


class BatchCreated(Schema):
    count: int
    reports: list[ReportCreated]


class ReportStatusOut(Schema):
    id: UUID
    status: Literal["received", "being_assessed", "forwarded", "closed"]
    received_at: datetime


class FieldProblem(Schema):
    field: str
    pointer: str
    detail: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


ERRORS = dict.fromkeys((400, 401, 403, 413, 415, 422, 429), Problem)

api = NinjaAPI(
    title="Hotline partner API",
    version="1",
    description=(
        "Send reports to the hotline and read the status of your own reports. "
        "Errors are RFC 9457 problems (application/problem+json). See /api/docs."
    ),
    urls_namespace="intake:partner_api",
    docs_url=None,
    openapi_url="/openapi.json",
    parser=CheckedJsonParser(),
)
partner_auth = PartnerKeyAuth()


def _answer(answer: services.IdempotentAnswer) -> HttpResponse:
    response = HttpResponse(json.dumps(answer.body), status=answer.status_code, content_type="application/json")
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _fingerprint(request: HttpRequest) -> str:
    return services.request_fingerprint(method=request.method or "POST", path=request.path, body=request.body)


IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    description="Any unique string (e.g. a UUID). A retry with the same key returns the first answer.",
)


@api.post(
    "/v1/reports",
    auth=partner_auth,
    response={201: ReportCreated, **ERRORS},
    summary="Send one report",
    tags=["reports"],
)
def create_report(request: HttpRequest, payload: ReportIn, idempotency_key: str | None = IdempotencyKey) -> Any:
    key = _require_scope(request, SCOPE_CREATE)
    return _answer(
        services.submit_partner_report(
            partner_key=key,
            report=payload.to_input(),
            idempotency_key=idempotency_key,
            request_hash=_fingerprint(request) if idempotency_key else "",
        )
    )


@api.post(
    "/v1/reports/batch",
    auth=partner_auth,
    response={201: BatchCreated, **ERRORS},
    summary="Send up to 1000 reports at once (all or nothing)",
    tags=["reports"],
)
def create_report_batch(request: HttpRequest, payload: BatchIn, idempotency_key: str | None = IdempotencyKey) -> Any:
    key = _require_scope(request, SCOPE_CREATE)
    return _answer(
        services.submit_partner_batch(
            partner_key=key,
            reports=[r.to_input() for r in payload.reports],
            idempotency_key=idempotency_key,
            request_hash=_fingerprint(request) if idempotency_key else "",
        )
    )


@api.get(
    "/v1/reports/{report_id}",
    auth=partner_auth,
    response={200: ReportStatusOut, 404: Problem, **ERRORS},
    summary="Status of one of your reports",
    tags=["reports"],
)
def get_report(request: HttpRequest, report_id: UUID) -> Any:
    key = _require_scope(request, SCOPE_READ)
    with transaction.atomic():
        services.count_partner_request(partner_key=key)
    found = selectors.partner_report_status(partner=key.partner, public_id=report_id)
    if found is None:
        raise NotFound(_("No report with this id was sent by your organisation."))
    return Status(200, {"id": found.public_id, "status": found.status.value, "received_at": found.received_at})


# --- one place that turns every failure into a problem -------------------------------------------
def _count_refused(request: HttpRequest) -> HttpResponse | None:
    """A refused request of a known key (a write rolled its own count back with everything else) is
    counted on its own, so a key cannot send invalid requests without limit: over the limit, its answer
    is the 429 (with Retry-After) instead of the refusal."""
    key = getattr(request, "auth", None)
    if not isinstance(key, PartnerKey):
        return None
    decision = services.count_refused_partner_request(partner_key=key)
    return None if decision.allowed else _too_many(decision)


@api.exception_handler(DomainError)
def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """Every domain error the handlers below do not describe more closely: its status, its message, and
    its own problem type if it has one (a revoked key: `revoked`)."""
    # A refused write is counted; refusals of the key itself are not.
    refused_write = request.method == "POST" and not isinstance(exc, PermissionRefused | RateLimited)
    if refused_write and (over := _count_refused(request)) is not None:
        return over
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) and exc.retry_after else None
    return problem(exc.status, exc.message, slug=exc.code or None, headers=headers)


@api.exception_handler(NinjaValidationError)
def _on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    if (over := _count_refused(request)) is not None:
        return over
    errors = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        source = loc[0] if loc else ""
        if source == "body":
            parts = loc[2:]  # drop ("body", <parameter name>)
        elif source == "header":
            parts = ["Idempotency-Key"]
        else:
            parts = loc[1:]
        if not parts and source == "body" and error.get("type") == "missing":
            return problem(
                422,
                _("The request needs a JSON body (see /api/docs)."),
                errors=[field_error([], _("Send a JSON object."))],
            )
        errors.append(field_error(parts, _pydantic_message(error)))
    return problem(422, _("The request is not valid: see `errors` for each field."), errors=errors)


@api.exception_handler(services.ReportRejected)
def _on_rejected(request: HttpRequest, exc: services.ReportRejected) -> HttpResponse:
    if (over := _count_refused(request)) is not None:
        return over
    errors = [field_error(name.split("."), message) for name, message in exc.problems.items()]
    return problem(422, _("The report is not valid: see `errors` for each field."), errors=errors)


@api.exception_handler(services.BatchRejected)
def _on_batch_rejected(request: HttpRequest, exc: services.BatchRejected) -> HttpResponse:
    if (over := _count_refused(request)) is not None:
        return over
    errors = []
    for index, problems in sorted(exc.problems.items()):
        for name, message in problems.items():
            parts: list[Any] = ["reports"] if index < 0 else ["reports", index, *name.split(".")]
            errors.append(field_error(parts, message))
    return problem(
        422,
        ngettext(
            "%(count)d report in the batch is not valid; nothing was stored. See `errors`.",
            "%(count)d reports in the batch are not valid; nothing was stored. See `errors`.",
            len(exc.problems),
        )
        % {"count": len(exc.problems)},
        errors=errors,
    )


@api.exception_handler(services.TooManyRequests)
def _on_too_many(request: HttpRequest, exc: services.TooManyRequests) -> HttpResponse:
    return _too_many(exc.decision)


def _too_many(decision: Decision) -> HttpResponse:
    return problem(
        429,
        _("More than %(limit)d requests in a minute with this key. Try again in %(seconds)d s.")
        % {"limit": decision.limit, "seconds": decision.retry_after},
        headers={"Retry-After": str(decision.retry_after)},
    )


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        401,
        _("Send your API key as `Authorization: Bearer <key>`."),
        headers={"WWW-Authenticate": 'Bearer realm="hotline"'},
    )


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if (over := _count_refused(request)) is not None:  # a body we could not read counts like any refusal
        return over
    cause = exc.__cause__
    if isinstance(cause, UnsupportedMediaType):
        return problem(415, _("Send the body as JSON with `Content-Type: application/json`."))
    if isinstance(cause, BodyTooLarge):
        return _too_large()
    if exc.status_code == 400 or isinstance(cause, MalformedJson):
        return problem(400, _("The body is not valid JSON."))
    return problem(exc.status_code, str(exc))


def _too_large() -> HttpResponse:
    return problem(
        413, _("The body is larger than %(bytes)d bytes. Send smaller batches.") % {"bytes": conf.api_max_body_bytes()}
    )


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    if (over := _count_refused(request)) is not None:
        return over
    return _too_large()


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, _("Not found."))


@api.exception_handler(Exception)
def _on_anything_else(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never the request: only the kind of failure (reporters' data stays out of logs).
    logger.error("Partner API failed with %s", type(exc).__name__)
    if database_unavailable(exc):  # restarting, fail-over: a moment, not a fault of the request
        return problem(
            503,
            _("The database cannot be reached just now. Send the same request again (with the same "
              "Idempotency-Key) in a little while."),
            headers={"Retry-After": "30"},
        )  # fmt: skip
    return problem(500, _("Something went wrong on our side. The request was not stored; try again."))


# --- answers outside ninja's operations: a path the API does not have, a method a path does not take
def with_problem_answers(view: Any) -> Any:
    """Wrap one of ninja's path views: its plain-text 405 becomes a problem (with the same Allow), and
    a 404 it raises outside its own handlers (its root view at /api/) the API's 404 problem."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return path_not_found(request)
        if response.status_code != 405 or response.get("Content-Type", "").startswith(PROBLEM_JSON):
            return response
        allowed = response["Allow"]
        with translation.override(api_language(request)):
            return problem(
                405,
                _("This address does not take %(method)s requests; use %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
                headers={"Allow": allowed},
            )

    return wrapped


@csrf_exempt  # answers every method alike and changes nothing (a POST should get this 404, not a CSRF 403)
def path_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any /api/ path the API does not have: a problem, not the site's HTML page."""
    with translation.override(api_language(request)):
        return problem(404, _("The API has no such address. See /api/docs for the addresses it has."))
