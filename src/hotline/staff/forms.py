"""Forms of the staff pages: sign-in steps, enrolment, account management, audit filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from hotline.staff.rules import role_choices
from hotline.staff.selectors import AuditFilters


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class EnrolForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        help_text=_("At least 12 characters. Not a common password, not similar to your email."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        help_text=_("After adding the account to the app, enter the 6-digit code it shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class StaffCreateForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    display_name = forms.CharField(label=_("Name"), max_length=120, required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple)


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label=_("Actor"), required=False, max_length=254, help_text=_("A staff email, or a label such as system.")
    )
    action = forms.CharField(
        label=_("Action"), required=False, max_length=80, help_text=_("Exact, or ending in * for a prefix: staff.*")
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=80)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=80)
    date_from = forms.DateField(label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class PartnerKeyForm(forms.Form):
    partner = forms.CharField(
        label=_("Partner name"),
        help_text=_("The organisation the key is for, e.g. an operator's app or a platform's safety team."),
        max_length=120,
    )
