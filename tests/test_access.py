"""Authorisation in one place: every URL declares who may reach it, and a role matrix proves it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from hotline.core.authz import ANY_STAFF, COALITION_LIAISON, LOGIN_FLOW, PARTNER_KEY, PUBLIC, ROLES, declared_access

SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}
IGNORED_PREFIXES = ("static/",)


def walk(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def sample_path(route: str) -> str | None:
    if route.startswith("^") or "(?P" in route:
        return None  # regex routes (ninja) are exercised by the API tests
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
    return "/" + path


ROUTES = [(route, cb) for route, cb in walk() if not route.startswith(IGNORED_PREFIXES)]


def test_there_are_routes() -> None:
    assert len(ROUTES) >= 3


@pytest.mark.parametrize(("route", "callback"), ROUTES, ids=[r for r, _ in ROUTES])
def test_every_url_declares_who_may_reach_it(route: str, callback: Any) -> None:
    access = declared_access(callback)
    assert access, f"/{route} declares no roles: use @public, @login_flow or @staff_required(...)"
    known = set(ROLES) | {PUBLIC, ANY_STAFF, PARTNER_KEY, LOGIN_FLOW, "network_signature"}
    assert access <= known, f"/{route} declares unknown access marks {sorted(access - known)}"


STAFF_ROUTES = [
    (route, cb)
    for route, cb in ROUTES
    if (declared_access(cb) or frozenset()) - {PUBLIC, LOGIN_FLOW, PARTNER_KEY, "network_signature"}
    and sample_path(route)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "callback"), STAFF_ROUTES, ids=[r for r, _ in STAFF_ROUTES])
def test_role_matrix(route: str, callback: Any, staff_client: Any, client: Any) -> None:
    """Each role gets 403 wherever it is not declared; anonymous visitors are sent to sign in."""
    path = sample_path(route)
    assert path
    access = declared_access(callback) or frozenset()
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"], path
    for role in ROLES:
        response = staff_client(role).get(path)
        allowed = ANY_STAFF in access or role in access
        if allowed:
            assert response.status_code != 403, f"{role} should reach {path}"
        else:
            assert response.status_code == 403, f"{role} must get 403 on {path}, got {response.status_code}"


@pytest.mark.django_db
def test_campaigner_gets_403_on_every_case_url(staff_client: Any) -> None:
    case_paths = [sample_path(r) for r, _ in STAFF_ROUTES if r.startswith("cases/")]
    campaigner = staff_client("campaigner")
    for path in case_paths:
        assert campaigner.get(path).status_code == 403, path


# --- the coalition liaison (issue 15): indicators and exports, nothing of cases --------------------------
LIAISON_PREFIXES = ("intel/payments/",)


def test_the_coalition_liaison_is_let_in_only_to_the_indicator_pages() -> None:
    """Every route that names the liaison is an indicator or export page; the liaison's other reach is
    the pages every staff member has (ANY_STAFF: home, own account, sign-out)."""
    named = [r for r, cb in ROUTES if COALITION_LIAISON in (declared_access(cb) or frozenset())]
    assert named, "no page declares the coalition liaison"
    assert [r for r in named if not r.startswith(LIAISON_PREFIXES)] == []
    assert all(not r.startswith("cases/") for r, cb in ROUTES if ANY_STAFF in (declared_access(cb) or frozenset()))


@pytest.mark.django_db
def test_the_coalition_liaison_gets_403_or_404_on_every_case_page(staff_client: Any) -> None:
    """With a real commercial case holding an indicator, every case URL (GET and POST, its real id in every
    number of the route) refuses the liaison; the pages the liaison may open show none of the case's facts."""
    from hotline.intel import payment_services
    from hotline.intel.models import PaymentIndicator
    from hotline.testing import make_assessed_case, staff_user

    case = make_assessed_case(host="shop.example.test", path="/gallery/9", commercial=True)
    analyst = staff_user("analyst", email="analyst-access@hotline.example")
    payment_services.add_case_indicator(case_id=case.pk, kind="payment_domain", value="pay.example.test", actor=analyst)
    indicator = PaymentIndicator.objects.get()
    liaison = staff_client(COALITION_LIAISON)
    case_routes = [r for r, _ in ROUTES if r.startswith("cases/") and not r.startswith("^")]
    assert len(case_routes) >= 10
    for route in case_routes:
        path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: str(case.pk) if m.group(1) == "int" else "x", route)
        for method in (liaison.get, liaison.post):
            status = method(path).status_code
            assert status in (403, 404), f"{method.__name__.upper()} {path}: {status}"
    reachable = [r for r, cb in STAFF_ROUTES if COALITION_LIAISON in (declared_access(cb) or frozenset())]
    for route in reachable:
        path = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: str(indicator.pk) if m.group(1) == "int" else "csv", route)
        body = liaison.get(path).content.decode()
        for fact in (case.canonical_url, "/gallery/9", f"/cases/{case.pk}/", "analyst-access@"):
            assert fact not in body, (path, fact)
