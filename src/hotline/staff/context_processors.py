"""Template context for staff pages: the recovery-codes warning (staff_base.html shows it on every staff page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from hotline.core.authz import ADMIN
from hotline.staff import rules, selectors
from hotline.staff.models import StaffUser


def _notice(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, StaffUser) or not user.is_authenticated:
        return {}
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and not is_verified():
        return {}  # halfway through sign-in: no staff page yet
    left = selectors.recovery_codes_left_if_issued(user)
    level = None if left is None else rules.recovery_codes_warning(left)
    if level is None:
        return {}
    # Only an administrator can issue an enrolment link (which makes new codes); the others are told whom to ask.
    return {
        "level": level,
        "left": left,
        "new_codes_url": f"/staff/users/{user.pk}/" if ADMIN in user.role_names else "",
    }


def recovery_codes(request: HttpRequest) -> dict[str, Any]:
    # Lazy: counted only when a staff page shows the warning, never on public pages.
    return {"recovery_codes_notice": SimpleLazyObject(lambda: _notice(request))}
