"""Template context every page gets."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def hotline(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "HOTLINE_ORGANISATION": settings.HOTLINE_ORGANISATION,
        "staff_roles": sorted(user.role_names) if user is not None and user.is_authenticated else [],
    }
