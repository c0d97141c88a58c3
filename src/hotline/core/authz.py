"""Authorisation in one place: every view declares who may reach it, and the declaration is enforced here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

ANALYST = "analyst"
SUPERVISOR = "supervisor"
ADMIN = "admin"
CAMPAIGNER = "campaigner"
STATISTICIAN = "statistician"
COALITION_LIAISON = "coalition_liaison"
POLICE_LIAISON = "police_liaison"  # collects police referral packages by download
ROLES: tuple[str, ...] = (ANALYST, SUPERVISOR, ADMIN, CAMPAIGNER, STATISTICIAN, COALITION_LIAISON, POLICE_LIAISON)

# Access markers that are not staff roles.
PUBLIC = "public"  # anyone, no login (public pages)
ANY_STAFF = "any_staff"  # any signed-in staff member with two factors verified
PARTNER_KEY = "partner_key"  # partner API key (checked by the API's own auth)
LOGIN_FLOW = "login_flow"  # the login / two-factor / enrolment steps themselves

CASE_ROLES = frozenset({ANALYST, SUPERVISOR})

V = TypeVar("V", bound=Callable[..., HttpResponse])


def declared_access(view: Any) -> frozenset[str] | None:
    """What a URL's callback declared (None: nothing, which the URL-walk test refuses)."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        marks = getattr(candidate, "hotline_access", None)
        if marks is not None:
            return frozenset(marks)
    return None


def _mark(view: Any, marks: Iterable[str]) -> None:
    view.hotline_access = frozenset(marks)


def public(view: V) -> V:
    """Open to everyone, no login."""
    _mark(view, {PUBLIC})
    return view


def login_flow(view: V) -> V:
    """A step of signing in: reachable before two factors are verified."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    _mark(wrapper, {LOGIN_FLOW})
    return wrapper  # type: ignore[return-value]


def user_has_any_role(user: Any, roles: Iterable[str]) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    wanted = set(roles)
    if ANY_STAFF in wanted:
        return True
    return bool(wanted & user.role_names)


def staff_required(*roles: str) -> Callable[[V], V]:
    """Signed in, second factor verified, holding one of `roles` (or ANY_STAFF). Adds no-store."""
    if not roles:
        raise ValueError("staff_required needs at least one role (or ANY_STAFF).")
    unknown = set(roles) - set(ROLES) - {ANY_STAFF}
    if unknown:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.is_verified():  # type: ignore[union-attr,attr-defined]
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not user_has_any_role(user, roles):
                raise PermissionDenied
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        _mark(wrapper, roles)
        return wrapper  # type: ignore[return-value]

    return decorator


def declare(view: V, *marks: str) -> V:
    """Mark a callback that enforces access itself (e.g. the partner API checks keys)."""
    _mark(view, marks)
    return view


def declare_patterns(patterns: list[Any], *marks: str) -> list[Any]:
    """Mark every callback of an included URL list (a ninja API checks its keys itself)."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            declare_patterns(pattern.url_patterns, *marks)
        else:
            _mark(pattern.callback, marks)
    return patterns
