"""Goals, indicators and publishing: who may publish, what the snapshot freezes (a reassessment after publishing
changes the figures but not the published values), a new publication replacing the current one, and the audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import Assessment, AssessmentStatus
from hotline.core.models import AuditEntry
from hotline.insights import definitions
from hotline.insights.models import PublishedResult
from hotline.insights.selectors import results as results_selectors
from hotline.insights.selectors.figures import figures, year
from hotline.insights.services import results, rollups
from hotline.staff import audit_words
from hotline.staff.factories import staff_user

pytestmark = pytest.mark.django_db


def _year_with_goal(supervisor, goal_year: int):
    goal = results.create_goal(
        actor=supervisor, goal_year=goal_year, text=results.GoalText(title_sv="Mål", title_en="Goal")
    )
    results.add_computed_indicator(
        actor=supervisor, goal=goal, label_sv="Andel olagliga", label_en="Share illegal", figure="illegal_share"
    )
    results.add_manual_indicator(
        actor=supervisor, goal=goal, label_sv="Kännedom", label_en="Awareness", value=Decimal(8),
        baseline=Decimal(4), unit="%", source_sv="Enkät", source_en="Survey", source_date=date(goal_year, 3, 1),
    )  # fmt: skip
    return goal


def test_publish_freezes_the_figures_and_a_reassessment_does_not_change_them() -> None:
    supervisor = staff_user("supervisor", email="boss@example.test")
    this_year = timezone.localdate().year
    cases = [make_assessed_case(path=f"/a/{n}", verdict="csam_baseline") for n in range(3)]
    make_assessed_case(path="/a/9", verdict="not_csam")
    rollups.refresh()
    _year_with_goal(supervisor, this_year)
    published = results.publish(actor=supervisor, goal_year=this_year)
    assert published.current and published.data_version == rollups.data_version()
    assert published.definitions_version == definitions.DEFINITIONS_VERSION
    computed, manual = published.snapshot["goals"][0]["indicators"]
    assert computed["value"] == pytest.approx(0.75)
    assert computed["value_text"] == {"sv": "75 %", "en": "75 %"}
    assert manual["value_text"]["en"] == "8 %" and manual["baseline_text"]["sv"] == "4 %"

    # A reassessment after publishing: the figure moves, the published value does not.
    Assessment.objects.filter(case=cases[0], status=AssessmentStatus.CONFIRMED).update(
        status=AssessmentStatus.SUPERSEDED
    )
    old = Assessment.objects.filter(case=cases[0]).first()
    Assessment.objects.create(case=cases[0], analyst=old.analyst, verdict="not_csam", kind=old.kind)
    rollups.refresh()
    assert figures(year(this_year)).illegal_share == pytest.approx(0.5)
    assert rollups.data_version() != published.data_version
    again = results_selectors.current_result(this_year)
    assert again.pk == published.pk
    page = results_selectors.shown_page(again, "en")
    assert page.goals[0].indicators[0].value_text == "75 %"


def test_a_new_publication_replaces_the_current_one_and_keeps_the_old() -> None:
    supervisor = staff_user("supervisor", email="boss@example.test")
    _year_with_goal(supervisor, 2025)
    first = results.publish(actor=supervisor, goal_year=2025)
    second = results.publish(actor=supervisor, goal_year=2025)
    first.refresh_from_db()
    assert not first.current and second.current
    assert PublishedResult.objects.filter(year=2025).count() == 2
    assert results_selectors.current_result(2025) == second
    assert results_selectors.earlier_results(2025) == [first]
    entry = AuditEntry.objects.filter(action="insights.results_published").order_by("seq").last()
    assert entry.details["replaced"] == [first.pk] and entry.actor_id == supervisor.pk


@pytest.mark.parametrize("roles", [["statistician"], ["admin"], ["analyst"]])
def test_only_a_supervisor_publishes(roles: list[str]) -> None:
    supervisor = staff_user("supervisor", email="boss@example.test")
    _year_with_goal(supervisor, 2025)
    other = staff_user(*roles, email="other@example.test")
    with pytest.raises(results.ResultsError):
        results.publish(actor=other, goal_year=2025)
    assert not PublishedResult.objects.exists()


def test_refusals() -> None:
    supervisor = staff_user("supervisor", email="boss@example.test")
    with pytest.raises(results.ResultsError):
        results.publish(actor=supervisor, goal_year=2025)  # no goals
    with pytest.raises(results.ResultsError):
        results.create_goal(actor=supervisor, goal_year=2025, text=results.GoalText(title_sv="", title_en="x"))
    goal = results.create_goal(actor=supervisor, goal_year=2025, text=results.GoalText(title_sv="Mål", title_en="Goal"))
    with pytest.raises(results.ResultsError):
        results.add_computed_indicator(actor=supervisor, goal=goal, label_sv="a", label_en="b", figure="nothing")
    with pytest.raises(results.ResultsError):
        results.add_manual_indicator(
            actor=supervisor, goal=goal, label_sv="a", label_en="b", value=Decimal(1), source_sv="",
            source_en="x", source_date=date(2025, 1, 1),
        )  # fmt: skip


def test_the_ratio_to_a_year_earlier_is_frozen_with_both_counts() -> None:
    supervisor = staff_user("supervisor", email="boss@example.test")
    this_year = timezone.localdate().year
    for n in range(3):
        make_assessed_case(path=f"/b/{n}")
    rollups.refresh()
    goal = results.create_goal(actor=supervisor, goal_year=this_year, text=results.GoalText("Mål", "Goal"))
    results.add_computed_indicator(
        actor=supervisor, goal=goal, label_sv="Tips", label_en="Tips", figure="reports", year_earlier=True
    )
    entry = results.publish(actor=supervisor, goal_year=this_year).snapshot["goals"][0]["indicators"][0]
    assert entry["now"] == 3 and entry["before"] == 0
    assert entry["value"] is None and entry["value_text"]["en"] == "no data"  # nothing a year earlier


def test_every_action_is_audited_with_a_sentence() -> None:
    supervisor = staff_user("supervisor", email="boss@example.test")
    goal = _year_with_goal(supervisor, 2025)
    results.edit_goal(actor=supervisor, goal=goal, text=results.GoalText("Mål 2", "Goal 2"))
    results.remove_indicator(actor=supervisor, indicator=goal.indicators.first())
    results.publish(actor=supervisor, goal_year=2025)
    actions = set(AuditEntry.objects.filter(action__startswith="insights.").values_list("action", flat=True))
    assert actions == {
        "insights.goal_created", "insights.goal_edited", "insights.indicator_added", "insights.indicator_removed",
        "insights.results_published",
    }  # fmt: skip
    for action in actions:
        assert action in audit_words.SENTENCES
