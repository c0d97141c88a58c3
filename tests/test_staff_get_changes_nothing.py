"""A GET never changes anything: every staff URL, opened with GET by each demo role on the demo data, leaves every
table as it was, except the audit log's record that someone looked (a view, a download).

Tabs, link prefetching and a browser's reload must never claim a case, start the exposure clock or send anything.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hotline.core import registry
from hotline.core.authz import LOGIN_FLOW, PARTNER_KEY, PUBLIC, declared_access
from hotline.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db

# Not records: the signed-in browser's own session and the rate limiter's cache rows.
NOT_RECORDS = {"django_session", "hotline_cache"}
# The audit entries a look leaves behind (every access to a case is audited): these alone may appear.
LOOKING = re.compile(r"(^|[._])(viewed|opened|downloaded|exported|verified)$")
# Which model's first row fills each kind of URL parameter; an unknown parameter gets 1 (a 404 changes nothing).
PARAMETER_MODELS = {
    "case_id": "cases.Case",
    "assessment_id": "cases.Assessment",
    "user_id": "staff.StaffUser",
    "key_id": "staff.PartnerKey",
    "partner_id": "referrals.PartnerHotline",
    "referral_id": "referrals.Referral",
    "petition_id": "campaigns.Petition",
    "export_id": "campaigns.PetitionExport",
    "issue_id": "campaigns.NewsletterIssue",
}


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def staff_routes() -> list[str]:
    """Every route a staff role may be let into (public, sign-in and partner-key paths have their own tests)."""
    found = []
    for route, callback in _routes():
        access = declared_access(callback) or frozenset()
        if (
            route.startswith("^")
            or "(?P" in route
            or not access - {PUBLIC, LOGIN_FLOW, PARTNER_KEY, "network_signature"}
        ):
            continue
        found.append(route)
    return found


def _first_id(label: str) -> str:
    try:
        model = apps.get_model(label)
    except LookupError:
        return "1"
    first = model.objects.order_by("pk").values_list("pk", flat=True).first()
    return str(first) if first is not None else "1"


def concrete_path(route: str, ids: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids.get(m.group(1), "1"), route)


def snapshot() -> dict[str, str]:
    """A fingerprint of every table's rows (all columns), the audit log apart."""
    audit_tables = {AuditEntry._meta.db_table, AuditChainHead._meta.db_table}  # the log and its chain's head
    prints = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in NOT_RECORDS or table in audit_tables:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # our own names
            rows = sorted(repr(row) for row in cursor.fetchall())
            prints[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return prints


def writes() -> int:
    """How many rows this connection has inserted, updated or deleted so far (triggers included): a cheap
    counter read after every GET, so that the full snapshot is taken again only when something was written."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        else:  # PostgreSQL: the current transaction's own changes, which is the whole test here
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return int(cursor.fetchone()[0])


def load_demo_data() -> None:
    out = io.StringIO()
    for step in registry.demo_steps():
        step.load(out)


def demo_clients() -> list[tuple[str, Client]]:
    from hotline.staff.demo import DEMO_STAFF
    from hotline.staff.factories import login_verified
    from hotline.staff.models import StaffUser

    clients = []
    for email, _roles, _key in DEMO_STAFF:
        client = Client()
        login_verified(client, StaffUser.objects.get(email=email))
        clients.append((email, client))
    return clients


def test_every_staff_url_opened_with_get_by_every_demo_role_changes_nothing() -> None:
    load_demo_data()
    ids = {name: _first_id(label) for name, label in PARAMETER_MODELS.items()}
    # The case of the walk is one nobody holds yet, so that a GET that claimed it would show.
    from hotline.cases.models import Case, CaseState

    unclaimed = Case.objects.filter(claimed_by=None).exclude(state=CaseState.CLOSED).order_by("pk").first()
    assert unclaimed is not None
    ids["case_id"] = str(unclaimed.pk)
    routes = staff_routes()
    assert len(routes) > 40 and "cases/<int:case_id>/assess/" in routes
    clients = demo_clients()
    changed: list[str] = []
    reached: dict[str, set[int]] = {}
    before = snapshot()
    written_rows = writes()
    audit_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for email, client in clients:
        for route in routes:
            path = concrete_path(route, ids)
            response = client.get(path)
            assert response.status_code < 500, f"GET {path} as {email}: {response.status_code}"
            reached.setdefault(route, set()).add(response.status_code)
            if (now := writes()) == written_rows:
                continue  # nothing written at all: no table, audit log included, can have changed
            written_rows = now
            after = snapshot()
            if after != before:
                tables = sorted(t for t in after if after[t] != before.get(t))
                changed.append(f"GET {path} as {email} changed {tables}")
                before = after
            written = list(AuditEntry.objects.filter(seq__gt=audit_seq).values_list("action", flat=True))
            audit_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or audit_seq
            if any(not LOOKING.search(action) for action in written):
                changed.append(f"GET {path} as {email} audited {written}")
    assert changed == [], "\n".join(changed)
    # The walk reached real pages, not only refusals: each staff page answered 200 to some demo role.
    pages = [r for r in routes if 200 in reached[r]]
    assert "cases/<int:case_id>/" in pages and "cases/<int:case_id>/assess/" in pages and "staff/" in pages
