"""Template context every page gets."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from hotline.core import registry


def hotline(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = sorted(user.role_names) if user is not None and user.is_authenticated else []
    return {
        "HOTLINE_ORGANISATION": settings.HOTLINE_ORGANISATION,
        "staff_roles": roles,
        # The staff bar (staff_base.html) and the staff home page show the same registered links.
        "staff_links": registry.staff_links_for(roles) if roles else [],
    }
