"""Forms of the public report pages and the staff pages; the rules themselves live in rules.py."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from hotline.cases.models import Channel, NexusHint, ReportKind
from hotline.intake import conf
from hotline.intake.rules import KINDS, MSG_EMPTY_REPORT, NEXUS_VALUES, ReportInput, report_problems

INITIAL_URL_FIELDS = 3
PUBLIC_CHANNELS = (Channel.WEB, Channel.BOOKMARK, Channel.SHARE)

# The public form's own wording of the kinds and answers (the staff pages use the models' labels): these
# strings are on the reporter's pages, so they are translated into every public language (docs/translating.md).
KIND_CHOICES = [
    (ReportKind.ONLINE_MATERIAL, _("Material on the internet")),
    (ReportKind.TRAFFICKING, _("Child sex trafficking")),
    (ReportKind.GROOMING, _("Grooming")),
    (ReportKind.SEXTORTION, _("Sextortion")),
    (ReportKind.TRAVELLING_OFFENDER, _("Travelling offender")),
    (ReportKind.OTHER, _("Other")),
]
# One plain-language line a kind, under its choice: what the word means (issue 13: grooming, sextortion and
# travelling offender are words a frightened reporter may not know).
KIND_HINTS: dict[str, Any] = {
    ReportKind.ONLINE_MATERIAL: _("Pictures, videos or texts on the internet that show sexual abuse of a child."),
    ReportKind.TRAFFICKING: _("A child is sold or made to have sex with someone, for money or something else."),
    ReportKind.GROOMING: _("An adult contacts a child, online or offline, to get sexual contact with them."),
    ReportKind.SEXTORTION: _(
        "Someone threatens to spread sexual pictures of a child or young person unless they pay or send more."
    ),
    ReportKind.TRAVELLING_OFFENDER: _("Someone travels, at home or abroad, to sexually abuse children."),
    ReportKind.OTHER: _("Something else that worries you about a child's safety."),
}
# Which questions fit which kind (the form shows only those; the rest is hidden, and without JavaScript the
# "Show the questions" button shows the right ones). Material first asks for addresses; a situation asks what
# is happening, where, when and who, with no wording about material.
SITUATION_KINDS = frozenset(
    {ReportKind.TRAFFICKING, ReportKind.GROOMING, ReportKind.TRAVELLING_OFFENDER, ReportKind.SEXTORTION}
)
URL_KINDS = frozenset({ReportKind.ONLINE_MATERIAL, ReportKind.SEXTORTION, ReportKind.OTHER})
MATERIAL_KINDS = frozenset({ReportKind.ONLINE_MATERIAL, ReportKind.OTHER})
SITUATION_FIELDS = ("situation_place", "situation_time", "situation_people")
NEXUS_CHOICES = [
    (NexusHint.YES, _("Yes")),
    (NexusHint.NO, _("No")),
    (NexusHint.UNKNOWN, _("Don't know")),
]
MSG_TOO_LONG = ngettext_lazy(
    "Write at most %(limit_value)d character here.", "Write at most %(limit_value)d characters here.", "limit_value"
)
TEXT_ERRORS = {"max_length": MSG_TOO_LONG}
NEXUS_ERRORS = {"required": _("Answer yes, no or don't know."), "invalid_choice": _("Answer yes, no or don't know.")}
RECEIPT_EXAMPLE = "1234 5678 9012 3456"

CLASSIFICATION_CHOICES = [
    ("", _("I'd rather not say")),
    ("child_sexual_abuse", _("Sexual abuse of a child")),
    ("child_sexual_posing", _("A child posed in a sexual way")),
    ("child_nudity", _("Nude pictures of a child")),
    ("not_sure", _("I'm not sure")),
]

COUNTRY_NAMES = {
    "SE": _("Sweden"),
    "NO": _("Norway"),
    "DK": _("Denmark"),
    "FI": _("Finland"),
    "IS": _("Iceland"),
    "DE": _("Germany"),
    "NL": _("the Netherlands"),
    "GB": _("the United Kingdom"),
}


def home_country_name() -> Any:
    return COUNTRY_NAMES.get(settings.HOTLINE_HOME_COUNTRY, _("our country"))


def url_field_name(number: int) -> str:
    return f"url_{number}"


def public_channel(value: str | None) -> str:
    """The channel a public form POST names (hidden field, stripped), web for anything else."""
    channel = (value or "").strip() or Channel.WEB
    return channel if channel in PUBLIC_CHANNELS else Channel.WEB


def url_fields_in(data: Mapping[str, Any]) -> int:
    """How many URL fields a bound ReportForm has for this POST data (before the 1..max clamp)."""
    filled = [k for k in data if k.startswith("url_") and k[4:].isascii() and k[4:].isdigit()]
    highest = max((int(k[4:]) for k in filled), default=0)
    try:
        declared = int(data.get("url_fields") or 0)
    except (TypeError, ValueError):
        declared = 0
    return max(INITIAL_URL_FIELDS, min(max(highest, declared), conf.max_urls()))


_CLASSIFICATION_VALUES = frozenset(value for value, _label in CLASSIFICATION_CHOICES)
_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")
_TEXT_FIELDS = ("where_seen", "description", "contact")


def quick_report_input(data: QueryDict) -> ReportInput | None:
    """The ReportInput a bound ReportForm would put in cleaned_data["report"], read straight from POST data.

    A measured fast path (bench/intake.py, the form POST): intake/tests/test_quick_path.py proves it equal to
    ReportForm, the plain path.

    Only for the plain, common case: every choice present and one of the form's choices, a whole number
    (or nothing) in url_fields. Returns None whenever the form itself might answer differently (a missing
    or unknown choice, a bad number), so the caller falls back to the full form and its messages. The
    report's own rules (URLs, lengths, NUL, empty report) are not checked here: see check_report.
    """
    kind = data.get("kind", "")
    if kind not in KINDS:
        return None
    nexus = [data.get(name, "") for name in ("nexus_victim", "nexus_offender", "nexus_place")]
    if not all(value in NEXUS_VALUES for value in nexus):
        return None
    classification = data.get("reporter_classification", "")
    if classification not in _CLASSIFICATION_VALUES:
        return None
    declared = data.get("url_fields", "")
    if declared and not _WHOLE_NUMBER.fullmatch(declared):
        return None
    if any(data.get(name) for name in SITUATION_FIELDS):
        return None  # a situation's answers are put together by the form (ReportForm.clean)
    texts = {name: (data.get(name) or "").strip() for name in _TEXT_FIELDS}
    url_count = max(1, min(url_fields_in(data), conf.max_urls()))
    urls = [u for n in range(1, url_count + 1) if (u := (data.get(url_field_name(n)) or "").strip())]
    return ReportInput(
        kind=kind,
        urls=urls,
        reporter_classification=classification,
        nexus_victim=nexus[0],
        nexus_offender=nexus[1],
        nexus_place=nexus[2],
        **texts,
    )


class ReportForm(forms.Form):
    """The public report form. URL fields are url_1..url_N (N grows with 'add a field', up to the maximum)."""

    is_staff_form = False

    kind = forms.ChoiceField(
        label=_("What do you want to report?"),
        choices=KIND_CHOICES,
        initial=ReportKind.ONLINE_MATERIAL,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what the report is about."),
            "invalid_choice": _("Choose one of the options."),
        },
    )
    where_seen = forms.CharField(
        label=_("Where did you see it? (optional)"),
        help_text=_("For example: in a chat app, on a forum, in a game, in a search result."),
        required=False,
        max_length=conf.MAX_WHERE_SEEN,
        error_messages=TEXT_ERRORS,
    )
    description = forms.CharField(
        label=_("Describe what you saw (optional if you give an address)"),
        help_text=_("Describe it in your own words. Do not send pictures or files."),
        required=False,
        max_length=conf.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=TEXT_ERRORS,
    )
    reporter_classification = forms.ChoiceField(
        label=_("What do you think it shows? (optional)"),
        choices=CLASSIFICATION_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        initial="",
        error_messages={"invalid_choice": _("Choose one of the options.")},
    )
    nexus_victim = forms.ChoiceField(
        choices=NEXUS_CHOICES, initial=NexusHint.UNKNOWN, widget=forms.RadioSelect, error_messages=NEXUS_ERRORS
    )
    nexus_offender = forms.ChoiceField(
        choices=NEXUS_CHOICES, initial=NexusHint.UNKNOWN, widget=forms.RadioSelect, error_messages=NEXUS_ERRORS
    )
    nexus_place = forms.ChoiceField(
        choices=NEXUS_CHOICES, initial=NexusHint.UNKNOWN, widget=forms.RadioSelect, error_messages=NEXUS_ERRORS
    )
    situation_place = forms.CharField(
        label=_("Where is it happening? (optional)"),
        help_text=_("A town, an address, a school, a hotel, or an app or game."),
        required=False,
        max_length=conf.MAX_WHERE_SEEN,
        error_messages=TEXT_ERRORS,
    )
    situation_time = forms.CharField(
        label=_("When? (optional)"),
        help_text=_("A date and time, or how long it has been going on."),
        required=False,
        max_length=conf.MAX_WHERE_SEEN,
        error_messages=TEXT_ERRORS,
    )
    situation_people = forms.CharField(
        label=_("Who is involved? (optional)"),
        help_text=_("Ages, what they look like, names or user names, if you know them."),
        required=False,
        max_length=conf.MAX_WHERE_SEEN,
        error_messages=TEXT_ERRORS,
    )
    contact = forms.CharField(
        label=_("How can we contact you? (optional)"),
        help_text=_("Only if you want us to be able to reach you. Leave it empty to stay anonymous."),
        required=False,
        max_length=conf.MAX_CONTACT,
        error_messages=TEXT_ERRORS,
    )
    channel = forms.CharField(required=False, widget=forms.HiddenInput)
    url_fields = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, url_fields: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        country = home_country_name()
        self.fields["nexus_victim"].label = _("Is the child in %(country)s?") % {"country": country}
        self.fields["nexus_offender"].label = _("Is the person who did it in %(country)s?") % {"country": country}
        self.fields["nexus_place"].label = _("Did it happen in %(country)s?") % {"country": country}
        if self.kind_value in SITUATION_KINDS:
            self.fields["description"].label = _("What is happening? (optional if you answer below)")
            self.fields["description"].help_text = _("Describe it in your own words. You do not need to be sure.")
        count = url_fields if url_fields is not None else self._url_fields_from_data()
        self.url_count = max(1, min(count, conf.max_urls()))
        for number in range(1, self.url_count + 1):
            self.fields[url_field_name(number)] = forms.CharField(
                label=_("Web address %(number)d") % {"number": number},
                required=False,
                strip=True,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "url",
                        "autocomplete": "off",
                        "autocapitalize": "off",
                        "spellcheck": "false",
                    }
                ),
            )
        self.initial.setdefault("url_fields", self.url_count)

    def _url_fields_from_data(self) -> int:
        if not self.is_bound:
            return INITIAL_URL_FIELDS
        return url_fields_in(self.data)

    @property
    def url_bound_fields(self) -> list[forms.BoundField]:
        return [self[url_field_name(n)] for n in range(1, self.url_count + 1)]

    @property
    def kind_value(self) -> str:
        """The kind the page is shown for: the one posted, else the initial one (material)."""
        source = self.data if self.is_bound else self.initial
        kind = str(source.get("kind") or "")
        return kind if kind in KINDS else ReportKind.ONLINE_MATERIAL

    @property
    def kind_hints(self) -> dict[str, Any]:
        return KIND_HINTS

    @property
    def sections(self) -> dict[str, bool]:
        """Which sections of questions fit the kind (the template marks the others hidden)."""
        kind = self.kind_value
        return {"urls": kind in URL_KINDS, "situation": kind in SITUATION_KINDS, "material": kind in MATERIAL_KINDS}

    @property
    def max_urls(self) -> int:
        return conf.max_urls()

    @property
    def can_add_url_field(self) -> bool:
        return self.url_count < conf.max_urls()

    def report_channel(self) -> str:
        return public_channel(self.cleaned_data.get("channel"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        url_names = [
            url_field_name(n) for n in range(1, self.url_count + 1) if cleaned.get(url_field_name(n), "").strip()
        ]
        data = ReportInput(
            kind=cleaned.get("kind") or ReportKind.ONLINE_MATERIAL,
            urls=[cleaned[name] for name in url_names],
            where_seen=cleaned.get("where_seen", ""),
            description=situation_description(cleaned),
            contact=cleaned.get("contact", ""),
            reporter_classification=cleaned.get("reporter_classification", ""),
            nexus_victim=cleaned.get("nexus_victim") or NexusHint.UNKNOWN,
            nexus_offender=cleaned.get("nexus_offender") or NexusHint.UNKNOWN,
            nexus_place=cleaned.get("nexus_place") or NexusHint.UNKNOWN,
        )
        for key, message in report_problems(data).items():
            if key.startswith("urls."):
                self.add_error(url_names[int(key.split(".")[1])], message)
            elif key == "description" and message == str(MSG_EMPTY_REPORT):
                self.add_error(None, message)
            elif key in self.fields and key not in self.errors:
                self.add_error(key, message)
        cleaned["report"] = data
        return cleaned


def situation_description(cleaned: Mapping[str, Any]) -> str:
    """The description with a situation's answers (place, time, people) after it, one labelled line each, in
    the hotline's own language (what analysts read): the report keeps one description, encrypted as before."""
    text = (cleaned.get("description") or "").strip()
    answers = [(name, (cleaned.get(name) or "").strip()) for name in SITUATION_FIELDS]
    if not any(value for _name, value in answers):
        return text
    with translation.override(settings.LANGUAGE_CODE):
        labels = {
            "situation_place": gettext("Where"),
            "situation_time": gettext("When"),
            "situation_people": gettext("Who"),
        }
        lines = [f"{labels[name]}: {value}" for name, value in answers if value]
    return "\n".join([text, *lines]).strip() if text else "\n".join(lines)


def receipt_help() -> SafeString:
    """The receipt field's help, its example code isolated left to right (in Arabic text its four groups
    of digits would otherwise be shown in reverse order)."""
    text = gettext("The 16 digits you got when you sent the report, for example %(example)s.")
    return mark_safe(  # nosec B308 B703  # the translation is escaped first; the example is built by format_html
        conditional_escape(text) % {"example": format_html('<bdi dir="ltr">{}</bdi>', RECEIPT_EXAMPLE)}
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt code"),
        max_length=64,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": _("Enter your receipt code."), **TEXT_ERRORS},
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["receipt"].help_text = receipt_help()


class MessageForm(forms.Form):
    receipt = forms.CharField(max_length=64, widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("Add information or a message to your report"),
        help_text=_("For example: the material has been posted at a new address. Do not send pictures."),
        max_length=conf.MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write a message before sending."), **TEXT_ERRORS},
    )
