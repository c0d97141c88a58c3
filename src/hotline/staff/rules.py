"""Staff business rules as plain functions: codes, role labels, admin safety."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.core.authz import (
    ADMIN,
    ANALYST,
    CAMPAIGNER,
    COALITION_LIAISON,
    POLICE_LIAISON,
    ROLES,
    STATISTICIAN,
    SUPERVISOR,
)

RECOVERY_CODE_COUNT = 10
LOGIN_STEP_SECONDS = 300  # between the password step and the code step

ROLE_LABELS: dict[str, Promise] = {
    ANALYST: _("Analyst"),
    SUPERVISOR: _("Supervisor"),
    ADMIN: _("Administrator"),
    CAMPAIGNER: _("Campaigner"),
    STATISTICIAN: _("Statistician"),
    COALITION_LIAISON: _("Financial coalition liaison"),
    POLICE_LIAISON: _("Police liaison"),
}
assert set(ROLE_LABELS) == set(ROLES)


def role_choices() -> list[tuple[str, Promise]]:
    return [(role, ROLE_LABELS[role]) for role in ROLES]


def clean_code(code: str) -> str:
    """What a person typed as a code, without spaces or dashes (apps show '123 456', we print 'abcd-efgh')."""
    return "".join(ch for ch in code if ch not in " -\t").lower()


def looks_like_totp(code: str, digits: int = 6) -> bool:
    return len(code) == digits and code.isascii() and code.isdigit()


def format_recovery_code(token: str) -> str:
    """Recovery codes are 8 characters; shown in two groups of four to be copied without mistakes."""
    return f"{token[:4]}-{token[4:]}" if len(token) == 8 else token


def admin_change_problem(
    *,
    actor_id: int | None,
    user_id: int,
    is_active_admin: bool,
    keeps_admin: bool,
    stays_active: bool,
    other_active_admins: int,
) -> str | None:
    """Why an admin change must be refused (a message key), or None.

    Nobody may deactivate their own account, and the last active administrator cannot lose the
    role or be deactivated: otherwise no one could manage accounts any more.
    """
    if actor_id is not None and actor_id == user_id and not stays_active:
        return "self_deactivate"
    if is_active_admin and not (keeps_admin and stays_active) and other_active_admins == 0:
        return "last_admin"
    return None
