"""The period of a statistics page, export or API call, read from GET parameters (unit, year, month, quarter,
from, to), with every refusal in words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.insights.selectors.figures import Period, month, quarter, year

UNITS = (
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("custom", _("Custom days")),
)
LONGEST_CUSTOM_DAYS = 3 * 366 + 1


class PeriodForm(forms.Form):
    unit = forms.ChoiceField(label=_("Period"), choices=UNITS, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12, required=False)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4, required=False)
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        # `from` and `to` are Python keywords: the fields are start and end, the parameters from and to.
        if data is not None:
            data = data.copy()
            for param, name in (("from", "start"), ("to", "end")):
                if param in data and name not in data:
                    data[name] = data[param]
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        today = timezone.localdate()
        unit = cleaned.get("unit") or "month"
        y = cleaned.get("year") or today.year
        if unit == "month":
            cleaned["period"] = month(y, cleaned.get("month") or (today.month if y == today.year else 12))
        elif unit == "quarter":
            cleaned["period"] = quarter(y, cleaned.get("quarter") or ((today.month - 1) // 3 + 1))
        elif unit == "year":
            cleaned["period"] = year(y)
        else:
            start, end = cleaned.get("start"), cleaned.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("A custom period needs both a first day (from) and a last day (to)."))
            if end < start:
                raise forms.ValidationError(_("The last day of the period comes before its first day."))
            if (end - start).days + 1 > LONGEST_CUSTOM_DAYS:
                raise forms.ValidationError(_("A custom period may be at most three years long."))
            cleaned["period"] = Period(start, end)
        return cleaned

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]

    def error_text(self) -> str:
        """Every refusal in one sentence list (for a problem's detail or a page)."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else None
            for error in errors:
                parts.append(f"{label}: {error}" if label else str(error))
        return " ".join(parts)


def period_params(period: Period) -> dict[str, str]:
    """The GET parameters that make `period` again (for links to exports)."""
    if period.unit == "month":
        return {"unit": "month", "year": str(period.start.year), "month": str(period.start.month)}
    if period.unit == "quarter":
        return {"unit": "quarter", "year": str(period.start.year), "quarter": str((period.start.month - 1) // 3 + 1)}
    if period.unit == "year":
        return {"unit": "year", "year": str(period.start.year)}
    return {"unit": "custom", "from": period.start.isoformat(), "to": period.end.isoformat()}
