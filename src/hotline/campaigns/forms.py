"""Forms of the campaigns pages. They parse input; the rules themselves live in services (one place)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.campaigns import places
from hotline.campaigns.models import ExportKind, NewsletterIssue, Petition


def municipality_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose your municipality")), (places.ABROAD, _("I live abroad")), *places.municipality_choices()]


def country_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose a country")), *places.country_choices()]


class SignForm(forms.Form):
    """The public sign form. Name, email and place are checked by services.clean_signer."""

    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        required=False,
        help_text=_("We send you a link to confirm your signature. Your address is never published or handed over."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Plain text fields shown as <select>: services.clean_signer checks the value and says what is wrong.
    municipality = forms.CharField(label=_("Municipality where you live"), required=False, widget=forms.Select())
    country = forms.CharField(label=_("Country (only if you live abroad)"), required=False, widget=forms.Select())
    keep_informed = forms.BooleanField(
        label=_("Keep me informed: send me the newsletter (you confirm that in a separate mail)"), required=False
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my name and municipality are handed over to the recipient with the petition, "
            "and that my data is deleted when the petition's retention time ends."
        ),
        required=True,
        error_messages={"required": _("You need to agree to the terms to sign.")},
    )
    # Honeypot: hidden from people (CSS and aria-hidden wrapper); bots that fill every field give themselves away.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["municipality"].widget.choices = municipality_choices()  # type: ignore[attr-defined]
        self.fields["country"].widget.choices = country_choices()  # type: ignore[attr-defined]
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class SubscribeForm(forms.Form):
    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language of the newsletter"), choices=(("sv", "Svenska"), ("en", "English")))
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the newsletter"), choices=(("sv", "Svenska"), ("en", "English")))


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PetitionForm(forms.ModelForm):
    class Meta:
        model = Petition
        fields = [
            "title_sv",
            "title_en",
            "text_sv",
            "text_en",
            "recipient_sv",
            "recipient_en",
            "slug",
            "goal",
            "deadline",
        ]
        widgets = {"deadline": DateTimeInput()}
        help_texts = {
            "slug": _("The end of the address /petitions/…/; made from the title when left empty."),
            "deadline": _("Optional. The petition closes by itself then."),
            "text_sv": _("Plain text; blank lines separate paragraphs."),
        }

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        if locked:  # an open petition: what people signed cannot change
            for name in ("title_sv", "title_en", "text_sv", "text_en", "recipient_sv", "recipient_en", "slug"):
                self.fields[name].disabled = True


class IssueForm(forms.ModelForm):
    class Meta:
        model = NewsletterIssue
        fields = ["subject_sv", "body_sv", "subject_en", "body_en"]
        help_texts = {
            "body_sv": _("Markdown: **bold**, *italic*, [link](https://…), lists with -, headings with ##."),
            "subject_en": _("Optional. Subscribers who chose English get this version; others get Swedish."),
        }


class InvalidateForm(forms.Form):
    domain = forms.CharField(label=_("Email domain"), max_length=253, required=False)
    window_start = forms.DateTimeField(label=_("From"), required=False, widget=DateTimeInput())
    window_end = forms.DateTimeField(label=_("Until (not included)"), required=False, widget=DateTimeInput())
    reason = forms.CharField(label=_("Reason (for the audit log)"), max_length=500, required=False)


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=ExportKind.choices)
    language = forms.ChoiceField(choices=(("sv", "Svenska"), ("en", "English")), required=False)
