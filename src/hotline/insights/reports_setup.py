"""What the ready-made reports register at start-up: their staff link (downloads are audited as every
statistics export is, with the sentence the exports part registers)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from hotline.core import registry
    from hotline.core.authz import STATISTICIAN

    # In the statistician's bar only: the supervisor's and the administrator's bars are full at 1280 px (they reach
    # the reports from the dashboard's link, as statisticians can too).
    registry.register_staff_links(
        registry.StaffLink("insights:reports", _("Statistics reports"), frozenset({STATISTICIAN}), order=86),
    )
