"""Account management pages: admins only (role matrix), create with a one-time link, roles, (de)activation,
new enrolment link; every change audited; the last admin and one's own account are protected."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from hotline.core.authz import ADMIN, ROLES
from hotline.core.models import AuditEntry
from hotline.staff.factories import login_verified
from hotline.staff.models import StaffUser

pytestmark = pytest.mark.django_db


def en(client: Client) -> Client:
    client.cookies["hotline_language"] = "en"
    return client


def admin_pages(target_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("get", "/staff/users/", {}),
        ("get", "/staff/users/new/", {}),
        ("post", "/staff/users/new/", {"email": "intruder@hotline.example", "roles": ["admin"]}),
        ("get", f"/staff/users/{target_id}/", {}),
        ("post", f"/staff/users/{target_id}/roles/", {"roles": ["admin"]}),
        ("post", f"/staff/users/{target_id}/active/", {"active": "0", "confirmed": "yes"}),
        ("post", f"/staff/users/{target_id}/enrolment-link/", {}),
    ]


@pytest.mark.parametrize("role", [r for r in ROLES if r != ADMIN])
def test_only_admins_manage_accounts(role: str, staff_client: Any, make_staff: Any) -> None:
    target = make_staff("analyst")
    client = staff_client(role)
    for method, path, data in admin_pages(target.pk):
        response = getattr(client, method)(path, data)
        assert response.status_code == 403, f"{role} {method} {path}: {response.status_code}"
    target.refresh_from_db()
    assert target.is_active and target.role_names == {"analyst"}
    assert not StaffUser.objects.filter(email="intruder@hotline.example").exists()
    assert not AuditEntry.objects.filter(action__startswith="staff.").exclude(action="staff.created").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, make_staff: Any) -> None:
    target = make_staff("analyst")
    for method, path, data in admin_pages(target.pk):
        response = getattr(client, method)(path, data)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/"), path


def test_admin_sees_the_list(staff_client: Any, make_staff: Any) -> None:
    make_staff("campaigner", email="lina@hotline.example")
    admin = en(staff_client("admin"))
    page = admin.get("/staff/users/")
    assert page.status_code == 200
    assert b"lina@hotline.example" in page.content and b"Campaigner" in page.content


def test_admin_creates_an_account_and_sees_the_link_once(staff_client: Any) -> None:
    admin = en(staff_client("admin"))
    response = admin.post(
        "/staff/users/new/",
        {"email": "Maja@Hotline.Example", "display_name": "Maja", "roles": ["analyst", "statistician"]},
    )
    assert response.status_code == 200
    match = re.search(rb"http://testserver(/staff/enrol/[A-Za-z0-9_-]+/)", response.content)
    assert match, response.content
    assert "no-store" in response["Cache-Control"]
    user = StaffUser.objects.get(email="maja@hotline.example")
    assert user.role_names == {"analyst", "statistician"} and not user.has_usable_password()
    entry = AuditEntry.objects.get(action="staff.created", object_id=str(user.pk))
    assert entry.actor_id == admin.user.pk and entry.details == {"roles": ["analyst", "statistician"]}
    assert "maja" not in str(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("details", flat=True))
    # The link works, and no other page shows it again.
    assert Client().get(match.group(1).decode()).status_code == 200
    assert match.group(1) not in admin.get(f"/staff/users/{user.pk}/").content
    assert match.group(1) not in admin.get("/staff/users/").content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "roles": ["analyst"]}, b"valid email"),
        ({"email": "a@hotline.example"}, b"required"),
        ({"email": "a@hotline.example", "roles": ["overlord"]}, b"not one of the available choices"),
    ],
)
def test_create_with_bad_input_gives_400(data: dict[str, Any], message: bytes, staff_client: Any) -> None:
    admin = en(staff_client("admin"))
    response = admin.post("/staff/users/new/", data)
    assert response.status_code == 400 and message in response.content
    assert not StaffUser.objects.filter(email="a@hotline.example").exists()


def test_create_duplicate_email_gives_400(staff_client: Any, make_staff: Any) -> None:
    make_staff("analyst", email="dup@hotline.example")
    admin = en(staff_client("admin"))
    response = admin.post("/staff/users/new/", {"email": "DUP@hotline.example", "roles": ["analyst"]})
    assert response.status_code == 400 and b"already exists" in response.content


def test_admin_changes_roles(staff_client: Any, make_staff: Any) -> None:
    target = make_staff("analyst")
    admin = en(staff_client("admin"))
    response = admin.post(f"/staff/users/{target.pk}/roles/", {"roles": ["supervisor", "analyst"]})
    assert response.status_code == 302
    assert StaffUser.objects.get(pk=target.pk).role_names == {"analyst", "supervisor"}
    entry = AuditEntry.objects.get(action="staff.roles_changed")
    assert entry.details == {"before": ["analyst"], "after": ["analyst", "supervisor"]}
    assert admin.post(f"/staff/users/{target.pk}/roles/", {}).status_code == 400  # at least one role


def test_a_role_change_takes_effect_on_the_next_request(staff_client: Any) -> None:
    supervisor = staff_client("supervisor")
    assert supervisor.get("/staff/audit/").status_code == 200
    admin = staff_client("admin")
    admin.post(f"/staff/users/{supervisor.user.pk}/roles/", {"roles": ["campaigner"]})
    # Since issue 19 a removed role also ends the sessions (test_sessions_end.py); signed in again, it is 403.
    refused = supervisor.get("/staff/audit/")
    assert refused.status_code == 302 and refused["Location"].startswith("/staff/login/")
    login_verified(supervisor, StaffUser.objects.get(pk=supervisor.user.pk))
    assert supervisor.get("/staff/audit/").status_code == 403


def test_deactivate_ends_sessions_and_reactivate_restores(staff_client: Any) -> None:
    analyst = staff_client("analyst")
    admin = en(staff_client("admin"))
    ask = admin.post(f"/staff/users/{analyst.user.pk}/active/", {"active": "0"})  # asks once more, changes nothing
    assert ask.status_code == 200 and b"Yes, deactivate the account" in ask.content
    assert StaffUser.objects.get(pk=analyst.user.pk).is_active
    assert admin.post(f"/staff/users/{analyst.user.pk}/active/", {"active": "0", "confirmed": "yes"}).status_code == 302
    assert analyst.get("/staff/").status_code == 302, "a deactivated account's session ends"
    assert AuditEntry.objects.filter(action="staff.deactivated", object_id=str(analyst.user.pk)).exists()
    detail = admin.get(f"/staff/users/{analyst.user.pk}/")
    assert b"Reactivate account" in detail.content
    assert admin.post(f"/staff/users/{analyst.user.pk}/active/", {"active": "1"}).status_code == 302
    assert StaffUser.objects.get(pk=analyst.user.pk).is_active
    assert AuditEntry.objects.filter(action="staff.activated").exists()


def test_new_enrolment_link_resets_two_factor(staff_client: Any) -> None:
    analyst = staff_client("analyst")
    admin = en(staff_client("admin"))
    response = admin.post(f"/staff/users/{analyst.user.pk}/enrolment-link/")
    assert response.status_code == 200 and b"/staff/enrol/" in response.content
    assert analyst.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="staff.two_factor_reset", object_id=str(analyst.user.pk)).exists()


def test_admin_cannot_deactivate_self_or_remove_the_last_admin(staff_client: Any) -> None:
    admin = en(staff_client("admin"))
    me = admin.user.pk
    response = admin.post(f"/staff/users/{me}/active/", {"active": "0", "confirmed": "yes"})
    assert response.status_code == 400 and b"cannot deactivate your own account" in response.content
    response = admin.post(f"/staff/users/{me}/roles/", {"roles": ["analyst"]})
    assert response.status_code == 400 and b"At least one active administrator must remain" in response.content
    assert StaffUser.objects.get(pk=me).role_names == {"admin"}
    # With a second admin, handing over is fine.
    other = staff_client("admin")
    assert admin.post(f"/staff/users/{me}/roles/", {"roles": ["analyst"]}).status_code == 302
    assert admin.get("/staff/users/").status_code == 403, "no longer an admin"
    # ... and now the other one is the last admin.
    assert other.post(f"/staff/users/{other.user.pk}/roles/", {"roles": ["analyst"]}).status_code == 400


def test_unknown_account_gives_404(staff_client: Any) -> None:
    admin = staff_client("admin")
    assert admin.get("/staff/users/999999/").status_code == 404
    assert admin.post("/staff/users/999999/roles/", {"roles": ["analyst"]}).status_code == 404


def test_staff_home_shows_roles_and_only_allowed_links(staff_client: Any) -> None:
    campaigner = en(staff_client("campaigner"))
    page = campaigner.get("/staff/").content
    assert b"Campaigner" in page and b'href="/campaigns/"' in page
    assert b'href="/cases/"' not in page and b'href="/staff/users/"' not in page
    admin = en(staff_client("admin", "supervisor"))
    page = admin.get("/staff/").content
    assert b'href="/staff/users/"' in page and b'href="/staff/audit/"' in page and b'href="/cases/"' in page


def test_roles_are_groups_created_by_migration() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
