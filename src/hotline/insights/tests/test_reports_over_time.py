"""Reports over time: per day for a short period, per month for a long one (the table as its chart), read from
the month rows and the edge days; the comparison periods are read without the series."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hotline.cases.factories import make_assessed_case
from hotline.insights.selectors import tables
from hotline.insights.selectors.figures import Period, figures, month, year
from hotline.insights.services import rollups

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_reports() -> None:
    for n, received in enumerate(
        (
            datetime(2025, 1, 10, 12, tzinfo=UTC),
            datetime(2025, 1, 20, 12, tzinfo=UTC),
            datetime(2025, 3, 5, 12, tzinfo=UTC),
        )
    ):
        make_assessed_case(path=f"/over-time/{n}", received_at=received)
    rollups.refresh()


def test_a_year_is_counted_per_month_and_its_table_has_a_row_per_month(three_reports: None) -> None:
    f = figures(year(2025))
    assert f.series_by_month
    assert {key: sum(v.values()) for key, v in f.reports_over_time.items()} == {
        date(2025, 1, 1): 2,
        date(2025, 3, 1): 1,
    }
    table = tables.reports_over_time(f)
    assert table.keys[0] == "month"
    assert [(row[0], row[-1]) for row in table.rows] == [("2025-01", 2), ("2025-03", 1)]


def test_a_long_custom_period_sums_its_edge_days_into_their_months(three_reports: None) -> None:
    f = figures(Period(date(2025, 1, 15), date(2025, 3, 31)))  # half of January (its day rows), whole February, March
    assert {key: sum(v.values()) for key, v in f.reports_over_time.items()} == {
        date(2025, 1, 1): 1,
        date(2025, 3, 1): 1,
    }


def test_a_month_is_counted_per_day(three_reports: None) -> None:
    f = figures(month(2025, 1))
    assert not f.series_by_month
    assert [(row[0], row[-1]) for row in tables.reports_over_time(f).rows] == [("2025-01-10", 1), ("2025-01-20", 1)]


def test_the_comparison_periods_are_read_without_the_series(three_reports: None) -> None:
    assert figures(year(2025), series=False).reports_over_time == {}
    assert figures(year(2025), series=False).reports == 3
