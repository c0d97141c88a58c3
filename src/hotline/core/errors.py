"""Domain errors: a refused action, its message for people and the HTTP status it answers with.

Services raise them; every app's errors (`<app>/errors.py`) subclass these. A view lets them through
to `refusal_page`, which answers with a clear 4xx page in the visitor's language; the partner API
turns them into RFC 9457 problems in one handler (intake/api.py). Views that show the message next to
a form field catch the error themselves and re-render the form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    Message: TypeAlias = str | _StrPromise  # what gettext and gettext_lazy return
else:
    from django.utils.functional import Promise

    Message = str | Promise

V = TypeVar("V", bound=Callable[..., HttpResponse])
# Extra context for the page: (request, the error, the view's URL keyword arguments) -> dict.
PageContext = Callable[[HttpRequest, "DomainError", dict[str, Any]], dict[str, Any]]


class DomainError(Exception):
    """An action the rules refuse. `message` is for people (translated, lazily or not); nothing was changed."""

    status = 400
    default_message: Message = _("This could not be done.")
    # The problem type of the partner API (`/api/docs#problem-<code>`); empty: the status's own.
    code = ""

    def __init__(self, message: Message | None = None):
        self.message: Message = self.default_message if message is None else message
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


class PermissionRefused(DomainError):
    status = 403
    default_message = _("You may not do this.")


class NotFound(DomainError):
    status = 404
    default_message = _("This was not found.")


class Conflict(DomainError):
    """The thing changed, or is in a state that does not allow the action."""

    status = 409
    default_message = _("This changed in the meantime. Reload the page and try again.")


class RateLimited(DomainError):
    """Too many attempts; `retry_after` (seconds), when known, becomes the Retry-After header."""

    status = 429
    default_message = _("Too many attempts. Please wait a while and try again.")
    retry_after: int | None = None

    def __init__(self, message: Message | None = None, *, retry_after: int | None = None):
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after


def refusal_response(
    request: HttpRequest,
    error: DomainError,
    *,
    template: str = "core/refused.html",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page of a refused action: `template` with `message` (and `context`), the error's status."""
    response = render(request, template, {"message": error.message, **(context or {})}, status=error.status)
    if isinstance(error, RateLimited) and error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    return response


def refusal_page(template: str = "core/refused.html", *, context: PageContext | None = None) -> Callable[[V], V]:
    """Decorate a view: a DomainError it does not catch becomes `refusal_response` (its status, its
    message, in the language of the request) instead of a 500. Put it below the access decorators."""

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                extra = context(request, error, kwargs) if context is not None else None
                return refusal_response(request, error, template=template, context=extra)

        return wrapper  # type: ignore[return-value]

    return decorator
