"""Which reports reached which cases (selectors.links): the one formulation every app reads them by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseState, Report
from hotline.cases.selectors import cases_of_reports, reached_none_of, reports_of_cases

pytestmark = pytest.mark.django_db


def ids(qs: Any) -> list[int]:
    return sorted(qs.values_list("pk", flat=True))


@dataclass
class World:
    both: Report  # two URLs: cases a and b
    again: Report  # the URL of case a, spelled differently
    words: Report  # no URL: a situation case of its own
    a: Case
    b: Case
    situation: Case


@pytest.fixture
def world() -> World:
    both = store_report("https://files.example.test/a", "https://files.example.test/b")
    again = store_report("https://files.example.test/a?utm_source=x")
    words = store_report(description="Seen in a chat group, no address.")
    for report in (both, again, words):
        services.triage_report(report_id=report.pk)
    words.refresh_from_db()
    return World(
        both=both,
        again=again,
        words=words,
        a=Case.objects.get(pk=both.urls.get(position=0).case_id),
        b=Case.objects.get(pk=both.urls.get(position=1).case_id),
        situation=Case.objects.get(pk=words.situation_case_id),
    )


def test_reports_of_cases_and_cases_of_reports_agree(world: World) -> None:
    assert ids(reports_of_cases(world.a)) == sorted([world.both.pk, world.again.pk])
    assert ids(reports_of_cases(world.b)) == [world.both.pk]
    assert ids(reports_of_cases(world.situation)) == [world.words.pk]
    assert ids(cases_of_reports(world.both)) == sorted([world.a.pk, world.b.pk])
    assert ids(cases_of_reports(world.words)) == [world.situation.pk]
    # No duplicates, whatever is asked for: an object, an id, ids, or a query.
    every = [world.a.pk, world.b.pk, world.situation.pk]
    assert reports_of_cases(every).count() == 3
    assert ids(reports_of_cases(Case.objects.all())) == ids(Report.objects.all())
    assert ids(cases_of_reports(Report.objects.all())) == sorted(every)
    assert ids(cases_of_reports(world.both.pk)) == ids(cases_of_reports([world.both.pk]))
    assert cases_of_reports([]).count() == 0 and reports_of_cases([]).count() == 0


def test_an_untriaged_report_reached_no_case() -> None:
    assert cases_of_reports(store_report("https://files.example.test/new")).count() == 0


def test_the_cases_of_reports_can_be_locked(world: World) -> None:
    with transaction.atomic():
        locked = list(cases_of_reports(world.both).select_for_update().order_by("pk").values_list("pk", flat=True))
    assert locked == sorted([world.a.pk, world.b.pk])


def test_reached_none_of_is_the_complement(world: World) -> None:
    outside = Report.objects.filter(reached_none_of(Case.objects.filter(pk=world.b.pk)))
    assert ids(outside) == sorted([world.again.pk, world.words.pk])
    none_open = Case.objects.exclude(state__in=[CaseState.TRIAGED, CaseState.CLOSED])
    assert ids(Report.objects.filter(reached_none_of(none_open))) == ids(Report.objects.all())
