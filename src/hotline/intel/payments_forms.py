"""Forms of the payment indicator pages: shape only; the indicator's validation is the service's (core rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.intel.models import PaymentIndicatorKind, ReviewState


class CaseIndicatorForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=PaymentIndicatorKind.choices,
        error_messages={"required": _("Choose what kind of indicator this is.")},
    )
    value = forms.CharField(
        label=_("Indicator"),
        max_length=500,
        strip=False,  # the core trims and reports inner spaces by position
        error_messages={"required": _("Enter the indicator as the payment page shows it.")},
        help_text=_("An address, IBAN, card scheme, merchant descriptor, provider or domain, as the page shows it."),
    )
    network = forms.CharField(
        label=_("Network (other cryptocurrencies only)"),
        max_length=100,
        required=False,
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=ReviewState.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the indicator goes into the coalition export.")},
    )
