"""What the goals and results part registers at start-up: its staff link, audit sentences and demo step."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


def ready() -> None:
    from hotline.core import registry
    from hotline.core.authz import STATISTICIAN
    from hotline.staff import audit_words

    registry.register_staff_links(
        registry.StaffLink(
            # In the statistician's bar; supervisors and admins (whose bars are full at 1280 px) reach it from
            # the statistics page.
            "insights:results",
            _("Goals and results"),
            frozenset({STATISTICIAN}),
            order=87,
        ),
    )
    audit_words.register(
        sentences={
            "insights.goal_created": _("Added a goal for the yearly results"),
            "insights.goal_edited": _("Changed a goal of the yearly results"),
            "insights.indicator_added": _("Added an indicator to a goal"),
            "insights.indicator_removed": _("Removed an indicator from a goal"),
            "insights.results_published": _("Published the goals and results of a year"),
        },
        objects={
            "goal": _("goal"),
            "indicator": _("indicator"),
            "published_result": _("published results"),
        },
    )
    registry.register_demo_step(name="insights.results", order=95, load=_load_demo)


def _load_demo(stdout: Output) -> None:
    from hotline.insights import results_demo

    results_demo.load(stdout)
