"""Forms of the casework pages: they parse and validate; services decide and write."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.cases.models import (
    Channel,
    MediaType,
    ReportKind,
    SiteType,
    SituationUrgency,
    SituationVerdict,
    Verdict,
    VictimAgeGroup,
    VictimGender,
)
from hotline.cases.rules import QUEUE_DEFAULT_STATES, STATES
from hotline.cases.selectors import QueueFilters
from hotline.cases.services import STATUS_ONLY_CLOSE_REASONS, AssessmentInput


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class VersionedForm(forms.Form):
    """Carries the case version seen when the form was opened (stale-form protection)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class QueueFilterForm(forms.Form):
    STATE_CHOICES = [("", _("Waiting for assessment")), ("open", _("All open")), ("all", _("All"))]

    state = forms.ChoiceField(label=_("State"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(_("All kinds")) + ReportKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(_("All channels")) + Channel.choices)
    country = forms.RegexField(
        label=_("Hosting country"), required=False, regex=r"^[A-Za-z]{2}$", max_length=2, strip=True
    )
    nexus = forms.ChoiceField(
        label=_("National nexus"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Reporter says yes")), ("no", _("No hint"))],
    )
    assigned = forms.ChoiceField(label=_("Assigned analyst"), required=False)

    def __init__(self, *args: Any, analysts: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        from hotline.cases.models import CaseState

        self.fields["state"].choices = self.STATE_CHOICES + [  # type: ignore[attr-defined]
            (s, CaseState(s).label) for s in STATES
        ]
        self.fields["assigned"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone or nobody")),
            ("me", _("Me")),
            ("none", _("Nobody")),
        ] + [(str(a.pk), str(a)) for a in analysts]

    def to_query(self) -> str:
        """The valid, non-empty filters as a query string: carried from the queue to the case page and the
        assessment form, so that "save and next case" stays in the queue the analyst chose. Staff-side
        values only (state, kind, channel, country, nexus, assigned): never a URL or a receipt."""
        if not self.is_valid():
            return ""
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        return urlencode({name: value for name, value in values.items() if value})

    def to_filters(self, *, viewer_id: int) -> QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        state = data.get("state", "")
        if state == "open":
            states: tuple[str, ...] = tuple(s for s in STATES if s != "closed")
        elif state == "all":
            states = STATES
        elif state in STATES:
            states = (state,)
        else:
            states = QUEUE_DEFAULT_STATES
        nexus = {"yes": True, "no": False}.get(data.get("nexus", ""))
        return QueueFilters(
            states=states,
            kind=data.get("kind", ""),
            channel=data.get("channel", ""),
            hosting_country=(data.get("country") or "").upper(),
            nexus=nexus,
            assigned=data.get("assigned", ""),
            viewer_id=viewer_id,
        )


class SearchForm(forms.Form):
    """Sent by POST: a URL or receipt code never travels in a query string (they end up in logs)."""

    q = forms.CharField(label=_("Search"), max_length=4000, strip=True)


class AssessmentForm(VersionedForm):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Verdict.choices, widget=forms.RadioSelect)
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    media_types = forms.MultipleChoiceField(
        label=_("Media types"), choices=MediaType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    image_count = forms.IntegerField(label=_("Number of images"), required=False, min_value=0, max_value=10**7)
    video_count = forms.IntegerField(label=_("Number of videos"), required=False, min_value=0, max_value=10**7)
    victim_age_group = forms.ChoiceField(
        label=_("Victim age group"), required=False, choices=_blank(_("Not recorded")) + VictimAgeGroup.choices
    )
    victim_gender = forms.ChoiceField(
        label=_("Victim gender"), required=False, choices=_blank(_("Not recorded")) + VictimGender.choices
    )
    site_type = forms.ChoiceField(
        label=_("Site type"), required=False, choices=_blank(_("Not recorded")) + SiteType.choices
    )
    commercial = forms.BooleanField(label=_("Commercial (sold or paid access)"), required=False)
    payment_indicators = forms.CharField(
        label=_("Payment indicators seen"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Payment methods, wallet addresses or merchant names shown on the site (text only)."),
    )
    nexus_server = forms.BooleanField(label=_("Server in our country"), required=False)
    nexus_victim = forms.BooleanField(label=_("Victim in our country"), required=False)
    nexus_offender = forms.BooleanField(label=_("Offender in our country"), required=False)
    reasoning = forms.CharField(
        label=_("Reasoning"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Describe what you saw in neutral words; this is stored encrypted."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("payment_indicators") and not data.get("commercial"):
            self.add_error("payment_indicators", _("Payment indicators only apply to a commercial site."))
        return data

    def to_input(self) -> AssessmentInput:
        d = self.cleaned_data
        return AssessmentInput(
            verdict=d["verdict"],
            kind=d["kind"],
            media_types=list(d.get("media_types") or []),
            image_count=d.get("image_count"),
            video_count=d.get("video_count"),
            victim_age_group=d.get("victim_age_group", ""),
            victim_gender=d.get("victim_gender", ""),
            site_type=d.get("site_type", ""),
            commercial=bool(d.get("commercial")),
            payment_indicators=d.get("payment_indicators", ""),
            nexus_server=bool(d.get("nexus_server")),
            nexus_victim=bool(d.get("nexus_victim")),
            nexus_offender=bool(d.get("nexus_offender")),
            reasoning=d.get("reasoning", ""),
        )


class CloseForm(VersionedForm):
    reason = forms.ChoiceField(
        label=_("Close as"),
        choices=[(r.value, r.label) for r in STATUS_ONLY_CLOSE_REASONS],
        error_messages={
            "required": _("Choose why the case is closed."),
            "invalid_choice": _("Choose why the case is closed."),
        },
    )
    # Rendered by hand in cases/case_detail.html (its error next to it, aria-describedby and aria-invalid).
    duplicate_of = forms.IntegerField(
        label=_("Duplicate of case number"),
        required=False,
        min_value=1,
        help_text=_("Needed when closing as a duplicate: the number of the case this one repeats."),
        error_messages={
            "invalid": _("The number of the case it duplicates is a whole number, such as 1234."),
            "min_value": _("The number of the case it duplicates is a whole number, such as 1234."),
        },
    )


class PoliceNowForm(VersionedForm):
    """The short assessment of a situation report sent to the police at once: no media fields."""

    verdict = forms.ChoiceField(label=_("Situation"), choices=SituationVerdict.choices, widget=forms.RadioSelect)
    urgency = forms.ChoiceField(label=_("How urgent"), choices=SituationUrgency.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label=_("What the police need to know now"),
        help_text=_("Who, where, when and how the tipster can be reached if they left a contact. Sent to the police."),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(VersionedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm the assessment")), ("reject", _("Send it back to the analyst"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason (required when sending back)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the assessment is sent back."))
        return data
