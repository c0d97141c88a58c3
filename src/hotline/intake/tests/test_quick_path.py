"""The form POST's quick path (no form built when the input is plain and valid) must equal the full form.

Pure tests (no database): for each POST body, either quick_report_input declines (None) or, when the report
passes check_report, the full ReportForm is valid and produces the same report; and whenever the form finds
a problem, the quick path does not accept the report.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.http import QueryDict

from hotline.intake import services
from hotline.intake.forms import ReportForm, public_channel, quick_report_input
from hotline.intake.rules import CheckedReport, ReportInput, check_report


def body(**fields: Any) -> QueryDict:
    data = {
        "kind": "online_material",
        "url_fields": "3",
        "url_1": "https://h.example.test/p",
        "description": "A gallery page.",
        "nexus_victim": "unknown",
        "nexus_offender": "unknown",
        "nexus_place": "unknown",
        "channel": "web",
        "action": "send",
    }
    data.update(fields)
    q = QueryDict(mutable=True)
    for key, value in data.items():
        if value is not None:
            q[key] = value
    return q


CASES: list[dict[str, Any]] = [
    {},
    {"url_1": "  h.example.test/x  ", "url_2": "h.example.test/x", "url_3": "https://other.example/"},
    {"url_1": "", "description": "   "},  # empty report
    {"url_1": "", "description": "  only words  "},
    {"url_1": "http://127.0.0.1/"},  # private
    {"url_1": "javascript:alert(1)"},
    {"url_1": "https://a.example/", "url_7": "https://b.example/"},  # a field beyond url_fields
    {"url_fields": "25", "url_25": "https://c.example/"},  # beyond the maximum: ignored by the form
    {"url_fields": "abc"},
    {"url_fields": "3.0"},
    {"url_fields": ""},
    {"url_fields": None},
    {"kind": "nonsense"},
    {"kind": None},
    {"nexus_place": None},
    {"nexus_place": "maybe"},
    {"reporter_classification": "not_sure"},
    {"reporter_classification": "made_up"},
    {"where_seen": "x" * 5000},
    {"description": "nul \x00 inside"},
    {"contact": "  someone@example.test  ", "where_seen": "  a chat app "},
    {"channel": "share"},
    {"channel": " bookmark "},
    {"channel": "api"},
    {"channel": None},
]


@pytest.mark.parametrize("fields", CASES)
def test_quick_path_agrees_with_the_form(fields: dict[str, Any]) -> None:
    data = body(**fields)
    form = ReportForm(data)
    form_valid = form.is_valid()
    quick = quick_report_input(data)
    checked = check_report(quick)[0] if quick is not None else None
    if checked is None:
        return  # the view falls back to the full form: same answer as before by construction
    assert form_valid, form.errors
    assert public_channel(data.get("channel")) == form.report_channel()
    expected = form.cleaned_data["report"]
    assert dataclasses.asdict(checked.data) == dataclasses.asdict(expected)


def test_plain_reports_take_the_quick_path() -> None:
    quick = quick_report_input(body(url_2="h.example.test/two"))
    assert quick is not None
    checked, problems = check_report(quick)
    assert checked is not None and problems == {}
    assert checked.data.urls == ["https://h.example.test/p", "http://h.example.test/two"]


def test_a_checked_report_cannot_be_forged() -> None:
    with pytest.raises(TypeError):
        CheckedReport(ReportInput(kind="other", description="x"), object())
    with pytest.raises(TypeError):
        services.submit_checked_report(channel="web", report=ReportInput(kind="other", urls=["http://127.0.0.1/"]))  # type: ignore[arg-type]
    _checked, problems = check_report(ReportInput(kind="other", urls=["http://127.0.0.1/"]))
    assert _checked is None and "urls.0" in problems
