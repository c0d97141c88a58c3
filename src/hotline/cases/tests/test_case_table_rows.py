"""The queue's rows built in Python (cases_tags.case_table_rows, a measured fast path: bench/casework.py) are
exactly what a plain template loop over the same rows renders, markup, escaping and translations included."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from hotline.cases.selectors import CaseRow
from hotline.cases.templatetags.cases_tags import case_table_rows

# The plain path: the same table rows as an ordinary Django template loop.
PLAIN = (
    "{% load i18n %}{% for row in rows %}"
    '<tr class="level-{{ row.level }}{% if row.overdue %} overdue{% endif %}">'
    '<td><a href="/cases/{{ row.pk }}/{% if query %}?{{ query }}{% endif %}">#{{ row.pk }}</a></td>'
    '<td><span class="level">{{ row.level_label }}</span> {{ row.priority }}'
    '{% if row.nexus %} <span class="tag">{% translate "nexus" %}</span>{% endif %}</td>'
    '<td>{{ row.waiting|default:"–" }}</td>'
    '<td>{% if row.deadline %}<time datetime="{{ row.deadline_iso }}">{{ row.deadline }}</time>{% else %}–{% endif %}'
    '{% if row.overdue %} <strong class="overdue-tag">{% translate "overdue" %}</strong>{% endif %}</td>'
    "<td>{{ row.state }}{% if row.close_reason %} ({{ row.close_reason }}){% endif %}</td>"
    "<td>{{ row.kind }}</td>"
    '<td>{% if row.url_problem %}<span class="error">{% translate "URL could not be read" %}</span>'
    '{% else %}{{ row.domain|default:"–" }}{% endif %}</td>'
    '<td>{{ row.country|default:"–" }}</td><td>{{ row.reports }}</td><td>{{ row.channels }}</td>'
    '<td><time datetime="{{ row.created_iso }}">{{ row.created }}</time></td>'
    '<td>{{ row.holder|default:"–" }}</td></tr>'
    "{% if not forloop.last %}\n{% endif %}{% endfor %}"
)


def row(**overrides: object) -> CaseRow:
    values: dict[str, object] = {
        "pk": 41,
        "priority": 120,
        "nexus": False,
        "state": "Triaged",
        "close_reason": "",
        "kind": "Material online",
        "domain": "example.test",
        "url_problem": False,
        "country": "NL",
        "reports": 3,
        "channels": "Web form, Partner API",
        "created_iso": "2026-03-02T09:15+01:00",
        "created": "2026-03-02 09:15",
        "holder": "",
        "level": "normal",
        "level_label": "Normal",
        "waiting": "1 d 2 h",
        "deadline_iso": "2026-03-05T09:15+01:00",
        "deadline": "2026-03-05 09:15",
    }
    values.update(overrides)
    return CaseRow(**values)  # type: ignore[arg-type]


ROWS = [
    row(),
    row(pk=42, nexus=True, holder="Anna <analyst> & O'Brien"),
    row(pk=43, state="Closed", close_reason="Duplicate", domain="", country=""),
    row(pk=44, url_problem=True, domain="ignored.example.test", channels='"quoted" <b>'),
    row(pk=45, domain="xn--bcher-kva.example.test", kind="Trafficking & <other>", holder="a@example.test"),
    row(pk=46, level="immediate_danger", level_label="Omedelbar fara", overdue=True, waiting="3 h 5 min"),
    row(pk=47, state="Closed", waiting="", deadline="", deadline_iso=""),
]


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []], ids=["many", "one", "none"])
@pytest.mark.parametrize("query", ["", "kind=grooming&state=open"], ids=["unfiltered", "filtered"])
def test_the_fast_rows_equal_a_template_loop(language: str, rows: list[CaseRow], query: str) -> None:
    with translation.override(language):
        plain = engines["django"].from_string(PLAIN).render({"rows": rows, "query": query})
        assert str(case_table_rows(rows, query)) == plain
