"""The period form every statistics page, export and API call reads its period with."""

from __future__ import annotations

from datetime import date

from django.http import QueryDict
from django.utils import translation

from hotline.insights.period_form import PeriodForm, period_params
from hotline.insights.selectors.figures import Period, month, quarter, year


def _form(query: str) -> PeriodForm:
    form = PeriodForm(QueryDict(query))
    form.is_valid()
    return form


def test_each_unit_makes_its_period_and_the_params_make_it_again():
    for query, expected in (
        ("unit=month&year=2025&month=2", month(2025, 2)),
        ("unit=quarter&year=2025&quarter=1", quarter(2025, 1)),
        ("unit=year&year=2024", year(2024)),
        ("unit=custom&from=2025-01-10&to=2025-02-09", Period(date(2025, 1, 10), date(2025, 2, 9))),
    ):
        form = _form(query)
        assert form.is_valid(), form.errors
        assert (form.period.start, form.period.end) == (expected.start, expected.end)
        again = _form("&".join(f"{k}={v}" for k, v in period_params(form.period).items()))
        assert (again.period.start, again.period.end) == (expected.start, expected.end)


def test_refusals_are_sentences():
    translation.activate("en")
    backwards = _form("unit=custom&from=2025-02-01&to=2025-01-01")
    assert not backwards.is_valid()
    assert "comes before its first day" in backwards.error_text()
    assert "three years" in _form("unit=custom&from=2020-01-01&to=2025-01-01").error_text()
    assert "both a first day" in _form("unit=custom&from=2025-01-01").error_text()
    assert "Month:" in _form("unit=month&year=2025&month=13").error_text()
    translation.deactivate()
