"""Access that ends ends the session (issue 19): a staff member signed in in one browser is refused on the very
next request once an admin, in another session, deactivates them, removes a role or resets their two-factor,
or once their password changes; a reactivated account does not revive its old session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from hotline.staff.factories import login_verified
from hotline.staff.models import StaffUser

pytestmark = pytest.mark.django_db


def _deactivate(admin: Client, user: StaffUser) -> None:
    assert admin.post(f"/staff/users/{user.pk}/active/", {"active": "0", "confirmed": "yes"}).status_code == 302


def _deactivate_and_reactivate(admin: Client, user: StaffUser) -> None:
    _deactivate(admin, user)
    assert admin.post(f"/staff/users/{user.pk}/active/", {"active": "1"}).status_code == 302
    assert StaffUser.objects.get(pk=user.pk).is_active


def _remove_a_role(admin: Client, user: StaffUser) -> None:
    assert admin.post(f"/staff/users/{user.pk}/roles/", {"roles": ["analyst"]}).status_code == 302
    assert StaffUser.objects.get(pk=user.pk).role_names == {"analyst"}


def _reset_two_factor(admin: Client, user: StaffUser) -> None:
    assert admin.post(f"/staff/users/{user.pk}/enrolment-link/").status_code == 200


def _change_the_password(admin: Client, user: StaffUser, monkeypatch: Any) -> None:
    """Django's own `changepassword` command, as an operator would run it (no page changes passwords)."""
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "another long passphrase 2026")
    call_command("changepassword", user.email, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert StaffUser.objects.get(pk=user.pk).check_password("another long passphrase 2026")


CHANGES: dict[str, Callable[..., None]] = {
    "deactivated": _deactivate,
    "deactivated_then_reactivated": _deactivate_and_reactivate,
    "a_role_removed": _remove_a_role,
    "two_factor_reset": _reset_two_factor,
    "password_changed": _change_the_password,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_first_session_is_refused_on_its_next_request(change: str, staff_client: Any, monkeypatch: Any) -> None:
    member = staff_client("analyst", "supervisor")
    assert member.get("/staff/").status_code == 200
    assert member.get("/cases/").status_code == 200
    admin = staff_client("admin")  # another session, of someone else
    kwargs = {"monkeypatch": monkeypatch} if change == "password_changed" else {}
    CHANGES[change](admin, member.user, **kwargs)

    refused = member.get("/cases/")
    assert refused.status_code == 302 and refused["Location"].startswith("/staff/login/"), change
    # The session itself is refused, not only this page: the next request is anonymous too.
    assert member.get("/staff/").status_code == 302


def test_a_role_added_keeps_the_session(staff_client: Any) -> None:
    member = staff_client("analyst")
    admin = staff_client("admin")
    assert admin.post(f"/staff/users/{member.user.pk}/roles/", {"roles": ["analyst", "supervisor"]}).status_code == 302
    assert member.get("/staff/audit/").status_code == 200  # the new role works at once, without signing in again


def test_a_new_sign_in_after_the_change_works(staff_client: Any) -> None:
    member = staff_client("analyst", "supervisor")
    admin = staff_client("admin")
    _remove_a_role(admin, member.user)
    assert member.get("/staff/").status_code == 302
    fresh = login_verified(Client(), StaffUser.objects.get(pk=member.user.pk))
    assert fresh.get("/cases/").status_code == 200
    assert fresh.get("/staff/audit/").status_code == 403  # the removed role stays removed


def test_an_admin_who_removes_a_role_of_their_own_keeps_this_session_only(staff_client: Any) -> None:
    admin = staff_client("admin", "analyst")
    other_browser = login_verified(Client(), admin.user)
    assert admin.get("/cases/").status_code == 200
    assert admin.post(f"/staff/users/{admin.user.pk}/roles/", {"roles": ["admin"]}).status_code == 302
    assert admin.get("/staff/users/").status_code == 200
    assert admin.get("/cases/").status_code == 403
    assert other_browser.get("/staff/").status_code == 302


def test_sessions_of_accounts_never_changed_survive_the_upgrade(staff_client: Any) -> None:
    """Epoch 0 keeps Django's own session hash: installing this release signs nobody out."""
    member = staff_client("analyst")
    user = StaffUser.objects.get(pk=member.user.pk)
    assert user.session_epoch == 0
    assert member.session["_auth_user_hash"] == user._get_session_auth_hash()  # Django's, unchanged
    assert member.get("/staff/").status_code == 200
