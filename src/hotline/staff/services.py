"""Writes about staff: accounts, roles, enrolment links. Each one audited in its transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.core.authz import ROLES
from hotline.staff import audit
from hotline.staff.models import EnrolmentLink, StaffUser


class StaffError(Exception):
    """A staff change that cannot be made; the message is for people."""


def _validate_roles(roles: Iterable[str]) -> list[str]:
    roles = [r.strip() for r in roles if r.strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise StaffError(
            _("Unknown role: %(roles)s. Known roles: %(known)s.")
            % {"roles": ", ".join(unknown), "known": ", ".join(ROLES)}
        )
    if not roles:
        raise StaffError(_("Give at least one role."))
    return roles


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_enrolment_link(*, user: StaffUser, actor: StaffUser | str | None) -> str:
    """A new one-time link (path) to set the password and enrol two-factor; older links stop working."""
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    token = secrets.token_urlsafe(32)
    EnrolmentLink.objects.create(
        user=user, token_hash=hash_token(token), expires_at=timezone.now() + settings.HOTLINE_ENROLMENT_VALID
    )
    audit.record(actor=actor, action="staff.enrolment_link_issued", object_type="staff", object_id=user.pk)
    return f"/staff/enrol/{token}/"


@transaction.atomic
def create_staff_user(
    *, email: str, roles: Iterable[str], actor: StaffUser | str | None, display_name: str = ""
) -> tuple[StaffUser, str]:
    """Create an account without a usable password; returns it and its enrolment link path."""
    role_list = _validate_roles(roles)
    email = email.strip().lower()
    if StaffUser.objects.filter(email=email).exists():
        raise StaffError(_("A staff member with this email already exists."))
    user = StaffUser.objects.create_user(email=email, display_name=display_name)
    user.groups.set(Group.objects.filter(name__in=role_list))
    audit.record(
        actor=actor, action="staff.created", object_type="staff", object_id=user.pk, details={"roles": role_list}
    )
    link = issue_enrolment_link(user=user, actor=actor)
    return user, link


@transaction.atomic
def set_roles(*, user: StaffUser, roles: Iterable[str], actor: StaffUser | str | None) -> None:
    role_list = _validate_roles(roles)
    before = sorted(user.role_names)
    user.groups.set(Group.objects.filter(name__in=role_list))
    user.__dict__.pop("role_names", None)
    audit.record(
        actor=actor,
        action="staff.roles_changed",
        object_type="staff",
        object_id=user.pk,
        details={"before": before, "after": sorted(role_list)},
    )


@transaction.atomic
def set_active(*, user: StaffUser, active: bool, actor: StaffUser | str | None) -> None:
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor, action="staff.activated" if active else "staff.deactivated", object_type="staff", object_id=user.pk
    )
