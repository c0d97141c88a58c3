"""Forms of the intel staff pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.intel.models import ListClassification, TrustLevel
from hotline.intel.services.lists import NAME_MAX, SOURCE_MAX

HASH_TYPE_CHOICES = [
    ("", _("Given in the file (a type column)")),
    ("md5", "MD5"),
    ("sha1", "SHA-1"),
    ("sha256", "SHA-256"),
    ("pdq", "PDQ"),
]
FORMAT_CHOICES = [("", _("From the file name")), ("csv", "CSV"), ("json", "JSON")]


class ListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    source = forms.CharField(label=_("Source (who gave the list)"), max_length=SOURCE_MAX, required=False)
    trust_level = forms.ChoiceField(label=_("Trust"), choices=TrustLevel.choices, initial=TrustLevel.UNVERIFIED)
    classification = forms.ChoiceField(
        label=_("What a match says of the material"), choices=ListClassification.choices, required=False
    )


class UrlListForm(ListForm):
    match_registered_domain = forms.BooleanField(
        label=_("The list names whole sites: match every URL of an entry's registered domain"), required=False
    )


class HashUploadForm(forms.Form):
    file = forms.FileField(label=_("List file (CSV or JSON)"))
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    hash_type = forms.ChoiceField(label=_("Hash type of every row"), choices=HASH_TYPE_CHOICES, required=False)


class UrlUploadForm(forms.Form):
    file = forms.FileField(label=_("List file (CSV)"))


class EnabledForm(forms.Form):
    enabled = forms.BooleanField(required=False)


class ConfirmMatchForm(forms.Form):
    verdict = forms.ChoiceField(choices=[c for c in ListClassification.choices if c[0]])
