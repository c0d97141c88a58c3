"""What the insights app registers at start-up: audit sentences, staff links, demo steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


def ready() -> None:
    _ready_rollups()
    # Each part of the app registers its own links, sentences and demo steps.
    from hotline.insights import dashboard_setup, exports_setup, reports_setup, results_setup

    dashboard_setup.ready()
    results_setup.ready()
    exports_setup.ready()
    reports_setup.ready()


def _ready_rollups() -> None:
    from hotline.core import registry
    from hotline.staff import audit_words

    registry.register_demo_step(name="insights.history", order=90, load=_load_demo)

    audit_words.register(
        sentences={
            "insights.rollups_rebuilt": _("Rebuilt the statistics from the raw data"),
        },
        parts={"insights": _("Statistics")},
        objects={},
    )


def _load_demo(stdout: Output) -> None:
    from hotline.insights import demo

    demo.load(stdout)
