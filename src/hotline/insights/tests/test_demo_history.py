"""The statistics demo history: the seed's figures come out of the made-up data, and loading twice adds nothing."""

from __future__ import annotations

import io

import pytest

from hotline.cases.models import Report
from hotline.insights import demo
from hotline.insights.selectors.figures import figures, quarter, year
from hotline.staff.factories import staff_user


@pytest.mark.django_db
def test_demo_history_gives_the_seed_figures_and_is_idempotent():
    staff_user("analyst", email=demo.ANALYST)
    first, second = demo.history_years()
    out = io.StringIO()
    demo.load(out)
    assert "Statistics history:" in out.getvalue()
    assert figures(quarter(first, 1)).reports == 40
    assert figures(quarter(second, 1)).reports == 120  # three times as many
    second_year = figures(year(second))
    assert second_year.nexus_cases == 100
    assert second_year.nexus_partner_share == pytest.approx(0.79)
    made = Report.objects.count()
    demo.load(out)
    assert "already there" in out.getvalue()
    assert Report.objects.count() == made


@pytest.mark.django_db
def test_demo_history_needs_the_demo_staff():
    out = io.StringIO()
    demo.load(out)
    assert "skipped" in out.getvalue()
    assert not Report.objects.exists()
