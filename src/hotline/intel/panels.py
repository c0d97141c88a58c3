"""What intel adds to the case page (cases.hooks): the list matches of the case, said plainly at the top, with the
confirmation that needs no look at the material; and the label of its timeline events."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


def list_match_panel(sender: Any, case: Any, **kwargs: Any) -> Any:
    from hotline.cases.hooks import CasePanel
    from hotline.intel import selectors

    matches = selectors.matches_of_case(case_id=case.pk)
    if not matches:
        return None
    return CasePanel(
        key="list-matches",
        title=_("Known material"),
        template="intel/_case_panel.html",
        context={"list_matches": matches, "verdict_choices": selectors.confirm_verdict_choices()},
        order=50,  # before the URL: the first thing the analyst reads
    )


def timeline_labels(sender: Any, **kwargs: Any) -> Any:
    from hotline.cases.hooks import TimelineLabels

    return TimelineLabels(kind="list_match", label=_("Matched a hash or URL list"))
