"""What the insights app registers at start-up: audit sentences, staff links, demo steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    _ready_rollups()
    # Each part of the app registers its own links, sentences and demo steps.
    from hotline.insights import dashboard_setup, exports_setup, results_setup

    dashboard_setup.ready()
    results_setup.ready()
    exports_setup.ready()


def _ready_rollups() -> None:
    from hotline.staff import audit_words

    audit_words.register(
        sentences={
            "insights.rollups_rebuilt": _("Rebuilt the statistics from the raw data"),
        },
        parts={"insights": _("Statistics")},
        objects={},
    )
