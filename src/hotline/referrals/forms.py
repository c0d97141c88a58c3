"""Forms of the referrals app (parsing only; services validate the business rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.referrals.models import AckEvidence, RemovalMethod


class ConfirmPlanForm(forms.Form):
    assessment_id = forms.IntegerField(widget=forms.HiddenInput)
    targets = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label=_("Send to"))
    host_notice_recipient = forms.EmailField(
        required=False,
        label=_("Address for the notice to the host"),
        help_text=_("The traced abuse contact, or the registrar's or CDN's abuse address."),
    )
    add_target = forms.ChoiceField(required=False, label=_("Add a recipient"))
    share_description = forms.BooleanField(
        required=False,
        label=_("Share the reporters' descriptions with the partner hotline"),
        help_text=_(
            "Only for a forward over the hotline network. Without this, the partner gets the case facts "
            "(URLs, classification, hosting, hashes) and nothing a reporter wrote. Your choice is audited."
        ),
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why you change the proposed plan"),
        help_text=_("Required when you add or remove a recipient, or change the notice address."),
        max_length=2000,
    )

    def __init__(self, *args: object, target_choices: list[tuple[str, str]], add_choices: list[tuple[str, str]],
                 **kwargs: object) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["targets"].choices = target_choices  # type: ignore[attr-defined]
        self.fields["add_target"].choices = [("", _("— none —")), *add_choices]  # type: ignore[attr-defined]


class RemovedForm(forms.Form):
    method = forms.ChoiceField(choices=RemovalMethod.choices, label=_("How was the removal checked?"))


class AcknowledgedForm(forms.Form):
    evidence = forms.ChoiceField(
        choices=AckEvidence.choices,
        label=_("How did the recipient answer?"),
        help_text=_("A bounce or an automatic reply is not an acknowledgement."),
    )


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("bounce", _("The message bounced")), ("auto_reply", _("Only an automatic reply came"))],
        label=_("What came back?"),
    )


class NotRemovedForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Why"), max_length=2000)


class RetryForm(forms.Form):
    recipient_email = forms.EmailField(required=False, label=_("New address (optional)"))


class PartnerForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))
    countries = forms.CharField(max_length=200, label=_("Countries"), help_text=_("ISO codes, e.g. NL,BE"))
    # Optional: a partner reached over the hotline network needs none (its channel is set on the network page).
    referral_email = forms.EmailField(required=False, label=_("Address for referrals"))
    language = forms.ChoiceField(choices=[("en", _("English")), ("sv", _("Swedish"))], label=_("Language"))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"))
