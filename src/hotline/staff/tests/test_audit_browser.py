"""The audit log browser: supervisors and admins only, filters, keyset pages, viewing is audited,
and the verify button reports an intact or a broken chain."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client

from hotline.core import audit
from hotline.core.authz import ADMIN, ROLES, SUPERVISOR
from hotline.core.models import AuditEntry
from hotline.staff.selectors import AuditFilters, audit_page

pytestmark = pytest.mark.django_db


def en(client: Client) -> Client:
    client.cookies["hotline_language"] = "en"
    return client


def write(actor: Any, action: str, object_type: str = "case", object_id: Any = 1, at: datetime | None = None) -> int:
    with time_machine.travel(at or datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False), transaction.atomic():
        return audit.record(actor=actor, action=action, object_type=object_type, object_id=object_id).seq


def seqs(response: Any) -> list[int]:
    return [int(s) for s in re.findall(rb"<tr>\s*<td>(\d+)</td>", response.content)]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_browse(role: str, staff_client: Any) -> None:
    """Also in tests/test_access.py's matrix; here with the POST of the verify button."""
    client = staff_client(role)
    allowed = role in (SUPERVISOR, ADMIN)
    assert client.get("/staff/audit/").status_code == (200 if allowed else 403)
    assert client.post("/staff/audit/verify/").status_code == (302 if allowed else 403)


def test_filters(staff_client: Any, make_staff: Any) -> None:
    johan = make_staff("analyst", email="johan@hotline.example")
    a = write(johan, "case.viewed", "case", 7, datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    b = write(johan, "case.assessed", "case", 8, datetime(2026, 2, 10, 9, 0, tzinfo=UTC))
    c = write("system", "case.viewed", "case", 7, datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    d = write("cli:create_staff", "staff.created", "staff", johan.pk, datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    client = en(staff_client("supervisor"))

    def shown(query: str) -> set[int]:
        response = client.get("/staff/audit/" + query)
        assert response.status_code == 200, response.content
        return set(seqs(response)) & {a, b, c, d}

    assert shown("") == {a, b, c, d}
    assert shown("?actor=JOHAN@hotline.example") == {a, b}
    assert shown("?actor=system") == {c}
    assert shown("?action=case.viewed") == {a, c}
    assert shown("?action=case.*") == {a, b, c}
    assert shown("?object_type=staff") == {d}
    assert shown("?object_type=case&object_id=7") == {a, c}
    assert shown("?date_from=2026-02-01&date_to=2026-03-10") == {b, c}
    assert shown("?date_to=2026-01-10") == {a}
    assert shown("?actor=johan@hotline.example&action=case.viewed") == {a}
    unknown = client.get("/staff/audit/?actor=nobody@hotline.example")
    assert b"No staff member has that email." in unknown.content


def test_bad_filter_input_gives_400(staff_client: Any) -> None:
    client = en(staff_client("admin"))
    assert client.get("/staff/audit/?date_from=yesterday").status_code == 400
    response = client.get("/staff/audit/?date_from=2026-03-02&date_to=2026-03-01")
    assert response.status_code == 400 and b"before the start date" in response.content
    assert client.get("/staff/audit/?before=abc").status_code == 400


def test_viewing_is_audited_without_emails(staff_client: Any, make_staff: Any) -> None:
    johan = make_staff("analyst", email="johan@hotline.example")
    client = staff_client("supervisor")
    client.get("/staff/audit/?actor=johan@hotline.example&action=case.*")
    entry = AuditEntry.objects.filter(action="audit.viewed").latest("seq")
    assert entry.actor_id == client.user.pk
    assert entry.details == {"filters": {"actor_id": johan.pk, "action": "case.*"}}
    assert "@" not in str(entry.details)
    client.get("/staff/audit/?actor=someone.else@hotline.example")
    entry = AuditEntry.objects.filter(action="audit.viewed").latest("seq")
    assert entry.details == {"filters": {"actor_unknown_email": True}}


def test_keyset_pages_walk_the_whole_log(staff_client: Any) -> None:
    with transaction.atomic():
        for i in range(120):
            audit.record(actor="system", action="test.page", object_id=i)
    client = staff_client("admin")
    seen: list[int] = []
    url = "/staff/audit/?action=test.page"
    for _ in range(5):
        response = client.get(url)
        seen.extend(seqs(response))
        older = re.search(rb'href="(\?[^"]*before=\d+)" rel="next"', response.content)
        if not older:
            break
        url = "/staff/audit/" + older.group(1).decode().replace("&amp;", "&")
    assert len(seen) == 120 and seen == sorted(seen, reverse=True) and len(set(seen)) == 120
    # And back: the "newer" link from the last page gives the page before it.
    newer = re.search(rb'href="(\?[^"]*after=\d+)" rel="prev"', response.content)
    assert newer
    back = client.get("/staff/audit/" + newer.group(1).decode().replace("&amp;", "&"))
    assert seqs(back) == seen[50:100]


def test_audit_page_selector_pages() -> None:
    with transaction.atomic():
        for i in range(7):
            audit.record(actor="system", action="x", object_id=i)
    first = audit_page(filters=AuditFilters(action="x"), size=3)
    assert [e.seq for e in first.entries] == [7, 6, 5] and first.older == 5 and first.newer is None
    second = audit_page(filters=AuditFilters(action="x"), before=first.older, size=3)
    assert [e.seq for e in second.entries] == [4, 3, 2] and second.older == 2 and second.newer == 4
    last = audit_page(filters=AuditFilters(action="x"), before=second.older, size=3)
    assert [e.seq for e in last.entries] == [1] and last.older is None
    back = audit_page(filters=AuditFilters(action="x"), after=last.entries[0].seq, size=3)
    assert [e.seq for e in back.entries] == [4, 3, 2] and back.newer == 4


def test_verify_button_reports_intact_and_broken(staff_client: Any) -> None:
    for i in range(3):
        write("system", "test.event", object_id=i, at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC) + timedelta(minutes=i))
    client = en(staff_client("supervisor"))
    response = client.post("/staff/audit/verify/", follow=True)
    assert b"The audit log is intact: 3 entries checked." in response.content
    assert re.search(rb"Last check [\d: -]+ by staff:\d+:[^:]+: intact, 3 entries.", response.content)
    assert AuditEntry.objects.filter(action="audit.chain_verified").latest("seq").details == {
        "checked": 3,
        "broken_at": None,
    }
    with connection.cursor() as cursor:
        cursor.execute("UPDATE staff_auditentry SET object_id = '99' WHERE seq = 2")
    response = client.post("/staff/audit/verify/", follow=True)
    assert b"BROKEN at entry 2" in response.content
    assert re.search(rb"Last check [\d: -]+ by staff:\d+:[^:]+: BROKEN at entry 2.", response.content)
    assert AuditEntry.objects.filter(action="audit.chain_verified").latest("seq").details["broken_at"] == 2
