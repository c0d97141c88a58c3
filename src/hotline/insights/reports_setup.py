"""What the ready-made reports register at start-up: their staff link (downloads are audited as every
statistics export is, with the sentence the exports part registers)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from hotline.core import registry
    from hotline.core.authz import ADMIN, STATISTICIAN, SUPERVISOR

    registry.register_staff_links(
        registry.StaffLink(
            "insights:reports", _("Statistics reports"), frozenset({STATISTICIAN, SUPERVISOR, ADMIN}), order=86
        ),
    )
