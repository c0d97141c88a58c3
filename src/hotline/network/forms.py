"""Forms of the network's staff pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.referrals.models import PartnerChannel


class BaseUrlForm(forms.Form):
    base_url = forms.CharField(
        max_length=300,
        label=_("Base URL of the partner hotline"),
        help_text=_("For example https://hotline.example.org. Only its identity document is fetched."),
    )


class ConfirmKeysForm(forms.Form):
    base_url = forms.CharField(max_length=300, widget=forms.HiddenInput)
    key_ids = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Keys whose fingerprint you read to the partner by phone, and they confirmed"),
    )
    language = forms.ChoiceField(choices=[("en", _("English")), ("sv", _("Swedish"))], label=_("Language"))

    def __init__(self, *args: object, key_choices: list[tuple[str, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["key_ids"].choices = key_choices or []  # type: ignore[attr-defined]


class PartnerStateForm(forms.Form):
    active = forms.BooleanField(required=False, label=_("Active"))
    channel = forms.ChoiceField(choices=PartnerChannel.choices, label=_("Delivery channel"))
