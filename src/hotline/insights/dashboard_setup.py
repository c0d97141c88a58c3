"""What the statistics dashboard registers at start-up: its staff link."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from hotline.core import registry
    from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR

    registry.register_staff_links(
        registry.StaffLink(
            "insights:dashboard", _("Statistics"), frozenset({STATISTICIAN, SUPERVISOR, ADMIN}), order=85
        ),
    )
