"""Template helpers of the casework pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from hotline.cases import suffixes
from hotline.cases.hooks import CasePanel
from hotline.cases.selectors import CaseRow

register = template.Library()

_ROW = (
    '<tr class="level-{}{}"><td><a href="/cases/{}/{}">#{}</a></td><td><span class="level">{}</span> {}{}</td>'
    "<td>{}</td><td>{}{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
    '<td><time datetime="{}">{}</time></td><td>{}</td></tr>'
)


@register.simple_tag
def case_table_rows(rows: Iterable[CaseRow], query: str = "") -> SafeString:
    """The <tr>s of a case table. Built here rather than in a template loop: the queue shows 50 rows per
    page and a template loop costs several times more per cell (the queue's latency budget is 100 ms).

    A measured fast path (bench/casework.py, the queue's p95): cases/tests/test_case_table_rows.py proves it
    equal to a plain template loop. `query`: the queue's filters, carried on to the case page."""
    suffix = f"?{query}" if query else ""
    nexus = format_html(' <span class="tag">{}</span>', _("nexus"))
    unreadable = format_html('<span class="error">{}</span>', _("URL could not be read"))
    overdue = format_html(' <strong class="overdue-tag">{}</strong>', _("overdue"))
    return format_html_join(
        "\n",
        _ROW,
        (
            (
                row.level,
                " overdue" if row.overdue else "",
                row.pk,
                suffix,
                row.pk,
                row.level_label,
                row.priority,
                nexus if row.nexus else "",
                row.waiting or "–",
                (format_html('<time datetime="{}">{}</time>', row.deadline_iso, row.deadline) if row.deadline else "–"),
                overdue if row.overdue else "",
                row.state,
                f" ({row.close_reason})" if row.close_reason else "",
                row.kind,
                unreadable if row.url_problem else (row.domain or "–"),
                row.country or "–",
                row.reports,
                row.channels,
                row.created_iso,
                row.created,
                row.holder or "–",
            )
            for row in rows
        ),
    )


@register.simple_tag
def filter_field(form: forms.Form, name: str) -> SafeString:
    """Label and control of one queue filter, built here: Django's widget templates render every <option>
    through a template of its own, which made the filter form cost more than the whole case table."""
    bound = form[name]
    field = bound.field
    current = "" if bound.value() is None else str(bound.value())
    label = format_html('<label for="{}">{}</label>', bound.id_for_label, field.label)
    if isinstance(field, forms.ChoiceField):
        choices: list[tuple[Any, Any]] = list(field.choices)  # type: ignore[arg-type]  # flat choices here
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, " selected" if str(value) == current else "", text) for value, text in choices),
        )
        control = format_html('<select name="{}" id="{}">{}</select>', bound.html_name, bound.id_for_label, options)
    else:
        control = format_html(
            '<input type="text" name="{}" id="{}" value="{}" maxlength="{}" autocomplete="off">',
            bound.html_name,
            bound.id_for_label,
            current,
            getattr(field, "max_length", None) or 100,
        )
    errors = format_html_join("", '<p class="error">{}</p>', ((e,) for e in bound.errors))
    return format_html("{}{}{}", label, control, errors)


@register.simple_tag
def suffix_list_date() -> date | None:
    """The date of the Public Suffix List that registered domains come from (shown to staff)."""
    return suffixes.list_date()


@register.simple_tag(takes_context=True)
def case_panel(context: template.Context, panel: CasePanel) -> SafeString:
    """Another app's section of the case page: its template, with the page's context and the panel's own."""
    engine = context.template.engine if context.template is not None else template.Engine.get_default()
    with context.push(**panel.context):
        return SafeString(engine.get_template(panel.template).render(context))  # nosec B703  # a template rendered by the engine (autoescaped), not input
