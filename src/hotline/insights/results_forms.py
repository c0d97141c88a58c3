"""The staff forms of the goals and results pages: what a supervisor types, checked before a service writes it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.insights.selectors import results as results_selectors
from hotline.insights.services.results import FIRST_YEAR, LAST_YEAR, GoalText


class GoalForm(forms.Form):
    title_sv = forms.CharField(label=_("Title in Swedish"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    narrative_sv = forms.CharField(
        label=_("Text in Swedish"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A blank line starts a new paragraph."),
    )  # fmt: skip
    narrative_en = forms.CharField(
        label=_("Text in English"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A blank line starts a new paragraph."),
    )  # fmt: skip
    order = forms.IntegerField(label=_("Place on the page"), min_value=0, max_value=999, initial=0, required=False)

    def goal_text(self) -> GoalText:
        data = self.cleaned_data
        return GoalText(
            title_sv=data["title_sv"], title_en=data["title_en"], narrative_sv=data["narrative_sv"],
            narrative_en=data["narrative_en"], order=data.get("order") or 0,
        )  # fmt: skip


class NewGoalForm(GoalForm):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)

    field_order = ("year",)


QUARTERS = (
    ("", _("The whole year")),
    ("1", _("Quarter 1")),
    ("2", _("Quarter 2")),
    ("3", _("Quarter 3")),
    ("4", _("Quarter 4")),
)


class ComputedIndicatorForm(forms.Form):
    label_sv = forms.CharField(label=_("Name in Swedish"), max_length=200)
    label_en = forms.CharField(label=_("Name in English"), max_length=200)
    figure = forms.ChoiceField(label=_("Figure"))
    quarter = forms.TypedChoiceField(label=_("Period"), choices=QUARTERS, coerce=int, empty_value=None, required=False)
    year_earlier = forms.BooleanField(
        label=_("Compare with the same period a year earlier (the ratio; for a share, the difference)"),
        required=False,
    )
    order = forms.IntegerField(label=_("Place under the goal"), min_value=0, max_value=999, initial=0, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["figure"].choices = results_selectors.figure_choices()  # type: ignore[attr-defined]


UNIT_CHOICES = (("", _("A number")), (results_selectors.PERCENT, _("A percentage")))


class ManualIndicatorForm(forms.Form):
    label_sv = forms.CharField(label=_("Name in Swedish"), max_length=200)
    label_en = forms.CharField(label=_("Name in English"), max_length=200)
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2)
    unit = forms.ChoiceField(label=_("Kind of value"), choices=UNIT_CHOICES, required=False)
    baseline = forms.DecimalField(
        label=_("Value before (optional)"), max_digits=14, decimal_places=2, required=False,
        help_text=_("For a change such as 4 % to 8 %: the value it started from."),
    )  # fmt: skip
    target = forms.DecimalField(label=_("Target (optional)"), max_digits=14, decimal_places=2, required=False)
    source_sv = forms.CharField(label=_("Source in Swedish"), max_length=300)
    source_en = forms.CharField(label=_("Source in English"), max_length=300)
    source_date = forms.DateField(
        label=_("Date of the source"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("As year-month-day, for example 2026-03-14."),
    )  # fmt: skip
    order = forms.IntegerField(label=_("Place under the goal"), min_value=0, max_value=999, initial=0, required=False)
