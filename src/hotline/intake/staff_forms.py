"""The staff side of the report form: a report received by phone or email, entered by staff. Its strings are
staff strings (Swedish and English only), so they live outside the reporter's modules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hotline.cases.models import ReportKind
from hotline.intake.forms import KIND_HINTS, ReportForm


class StaffReportForm(ReportForm):
    """A report received by phone or email, entered by staff (channel `staff`). Its questions speak to the staff
    member about the tipster, never to "you" (docs/glossary.md: tips, tipsare)."""

    received_via = forms.ChoiceField(
        label=_("Received by"),
        choices=[("phone", _("Phone")), ("email", _("Email")), ("other", _("Other"))],
        initial="phone",
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=_("The tipster's language"), choices=settings.LANGUAGES, initial="sv")

    is_staff_form = True  # staff see every question at once (intake/_report_fields.html)

    @property
    def sections(self) -> dict[str, bool]:
        return {"urls": True, "situation": True, "material": True}

    @property
    def texts(self) -> dict[str, Any]:
        """The shared partial's own lines, for staff (intake/_report_fields.html shows these instead of the
        reporter's "you" wording; they live here so the public languages never need them)."""
        return {
            "kinds_help": _("Choose what fits best; the tipster's description can say the rest."),
            "urls_legend": _("Web addresses (optional if the tipster describes what they saw)"),
            "urls_help": _("One address per field, up to %(max)s addresses in one tip.") % {"max": self.max_urls},
            "urls_warning": _("Never save pictures or files here: the web address and a description are enough."),
            "nexus_legend": _("Does the tipster know of a link to our country? (optional)"),
        }

    @property
    def kind_hints(self) -> dict[str, Any]:
        return {**KIND_HINTS, ReportKind.OTHER: _("Something else about a child's safety that worries the tipster.")}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        staff_words = {
            "kind": (_("What is the tip about?"), None),
            "where_seen": (_("Where the tipster saw it (optional)"), None),
            "description": (
                _("The tipster's description"),
                _("In the tipster's own words as far as possible. Pictures and files are never saved here."),
            ),
            "reporter_classification": (_("What the tipster thinks it shows (optional)"), None),
            "situation_people": (None, _("Ages, what they look like, names or user names, if the tipster knows them.")),
            "contact": (
                _("The tipster's contact details (optional)"),
                _("Only if the tipster wants to be contacted; leave it empty if they want to stay anonymous."),
            ),
        }
        for name, (label, help_text) in staff_words.items():
            if label is not None:
                self.fields[name].label = label
            if help_text is not None:
                self.fields[name].help_text = help_text
