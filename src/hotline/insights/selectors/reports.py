"""The two ready-made reports hotlines file, as plain data (tables.Table, the same shape the dashboard's tables
have), so the report pages and their CSV and XLSX downloads show the very same figures
(docs/statistics-reports.md says what each figure counts and which date it uses):

- `quarterly(y, q)`: the quarterly statistics of EU co-funded hotlines. Counted like the dashboard: reports on
  the day they were received, cases (and everything done with them) on the day of their first report. Read from
  the dashboard's figures (rollups) and, for what the dashboard does not split, from the case facts with the
  assessments and referrals of those cases, always counted in the database.
- `transparency(y)`: the yearly notice-and-action report in the shape trusted flaggers publish under the EU
  Digital Services Act. Counted from the referrals themselves: each notice to a hosting provider on the day it
  was first sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models import Value as V
from django.db.models.fields import TextField
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    MediaType,
    ReportKind,
    SiteType,
    VictimAgeGroup,
    VictimGender,
)
from hotline.insights import definitions
from hotline.insights.models import CaseFact
from hotline.insights.selectors.figures import Figures, Period, figures, quarter, share, year
from hotline.insights.selectors.tables import Cell, Table, country_name, verdict_name
from hotline.referrals.models import DeliveryChannel, Referral, ReferralState, Target

QUARTERLY = "quarterly"
TRANSPARENCY = "transparency"

# What a notice's state says about the action taken on it.
REMOVED = "removed"
NOT_REMOVED = "not_removed"
PENDING = "pending"
OUTCOMES = (REMOVED, NOT_REMOVED, PENDING)
OUTCOME_NAMES = {
    REMOVED: gettext_lazy("Removed"),
    NOT_REMOVED: gettext_lazy("Not removed"),
    PENDING: gettext_lazy("Pending (no action recorded yet)"),
}


@dataclass(frozen=True)
class Report:
    """One ready-made report: what it is called, the period it covers and its tables, in order."""

    name: str  # QUARTERLY or TRANSPARENCY: the address of its page and downloads
    title: str
    period: Period
    tables: list[Table]

    def table(self, name: str) -> Table:
        for found in self.tables:
            if found.name == name:
                return found
        raise KeyError(name)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _not_recorded() -> str:
    return _("Not recorded")


def _label(choices: type[models.TextChoices], code: str) -> str:
    """A stored code in words: its choice's label, "Not recorded" for an empty one, the code if unknown."""
    if not code:
        return _not_recorded()
    return str(choices(code).label) if code in choices.values else code


def _sorted(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Largest first; among equals, "not recorded" (no code) last."""
    return sorted(counts.items(), key=lambda item: (-item[1], not item[0], item[0]))


# --- the quarterly statistics ------------------------------------------------------------------------------------
def _facts(period: Period) -> QuerySet[CaseFact]:
    return CaseFact.objects.filter(day__gte=period.start, day__lte=period.end)


def _latest_assessments(case_ids: QuerySet[CaseFact, Any]) -> QuerySet[Assessment]:
    """The confirmed assessment each case's verdict comes from (the latest confirmed, as the facts read it)."""
    later = Assessment.objects.filter(case_id=OuterRef("case_id"), status=AssessmentStatus.CONFIRMED).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    return Assessment.objects.filter(status=AssessmentStatus.CONFIRMED, case_id__in=case_ids).exclude(Exists(later))


def _grouped(queryset: QuerySet[Assessment], column: str) -> dict[str, int]:
    return {
        str(value if value is not None else ""): n
        for value, n in queryset.values_list(column).annotate(n=Count("id")).order_by()
    }


def _summary(f: Figures) -> Table:
    other = f.assessed - f.illegal
    rows: list[list[Cell]] = [
        ["reports", _("Reports received"), f.reports],
        ["urls", _("URLs reported"), f.urls],
        ["duplicate_reports", _("Duplicate reports (URLs already reported in an earlier report)"), f.repeat_urls],
        ["cases", _("Cases (unique URLs and situations)"), f.cases],
        ["duplicate_cases", _("Cases closed as duplicates of another case"), f.duplicates],
        ["assessed", _("Cases assessed"), f.assessed],
        ["csam", _("Cases assessed as child sexual abuse material"), f.illegal],
        ["csam_share", _("Share of assessed cases that were child sexual abuse material"), _rounded(f.illegal_share)],
        ["other", _("Cases assessed as something else"), other],
        ["other_share", _("Share of assessed cases that were something else"), _rounded(share(other, f.assessed))],
    ]
    return Table(
        "quarterly-summary",
        _("Reports, duplicates and assessments"),
        [_("Code"), _("Figure"), _("Value")],
        rows,
        anchor="quarterly-summary",
        keys=["code", "figure", "value"],
    )


def _with_shares(
    name: str, title: str, heading: str, counts: dict[str, int], namer: Callable[[str], str], whole: int, anchor: str
) -> Table:
    rows: list[list[Cell]] = [[code, namer(code), n, _rounded(share(n, whole))] for code, n in _sorted(counts) if n]
    return Table(
        name,
        title,
        [_("Code"), heading, _("Cases"), _("Share")],
        rows,
        anchor=anchor,
        keys=["code", "name", "count", "share"],
    )


def _subtypes(latest: QuerySet[Assessment]) -> Table:
    """Child sexual abuse material cases by the sub-types the assessment records: the victim's age group and
    gender, the media seen (a case may show several), and whether the site was commercial."""
    rows: list[list[Cell]] = []
    for code, n in _sorted(_grouped(latest, "victim_age_group")):
        rows.append([f"age_group:{code}", _("Age group of the victim"), _label(VictimAgeGroup, code), n])
    for code, n in _sorted(_grouped(latest, "victim_gender")):
        rows.append([f"gender:{code}", _("Gender of the victim"), _label(VictimGender, code), n])
    # media_types is a JSON list: counted in the database by its text ('["image", "video"]'), one count per type.
    as_text = latest.annotate(media_text=Cast("media_types", TextField()))
    media = as_text.aggregate(
        none=Count("id", filter=Q(media_text="[]") | Q(media_text__isnull=True)),
        **{value: Count("id", filter=Q(media_text__contains=f'"{value}"')) for value in MediaType.values},
    )
    for value in MediaType.values:
        if media[value]:
            rows.append([f"media:{value}", _("Media"), _label(MediaType, value), media[value]])
    if media["none"]:
        rows.append(["media:", _("Media"), _not_recorded(), media["none"]])
    commercial = latest.aggregate(
        yes=Count("id", filter=Q(commercial=True)), no=Count("id", filter=Q(commercial=False))
    )
    if commercial["yes"]:
        rows.append(["commercial:yes", _("Commercial site"), _("Yes"), commercial["yes"]])
    if commercial["no"]:
        rows.append(["commercial:no", _("Commercial site"), _("No, or not seen"), commercial["no"]])
    return Table(
        "quarterly-subtypes",
        _("Child sexual abuse material by sub-type"),
        [_("Code"), _("Sub-type"), _("Value"), _("Cases")],
        rows,
        anchor="quarterly-subtypes",
        keys=["code", "subtype", "value", "count"],
    )


def _actions(period: Period, f: Figures) -> Table:
    """Cases of the period by what was done: referred to the police, a notice sent to the hosting provider,
    forwarded to a partner hotline (through the hotline network or by email); only referrals that were sent."""
    sent = Referral.objects.filter(case_id__in=_facts(period).values("case_id"), sent_at__isnull=False)
    by_target = {
        target: (cases, referrals)
        for target, cases, referrals in sent.values_list("target")
        .annotate(cases=Count("case_id", distinct=True), referrals=Count("id"))
        .order_by()
    }
    by_channel = {
        channel: (cases, referrals)
        for channel, cases, referrals in sent.filter(target=Target.PARTNER_HOTLINE)
        .values_list("channel")
        .annotate(cases=Count("case_id", distinct=True), referrals=Count("id"))
        .order_by()
    }
    rows: list[list[Cell]] = []
    for code, label, (cases, referrals) in (
        ("police", _("Forwarded to the police"), by_target.get(Target.POLICE, (0, 0))),
        ("hosting_provider", _("Notice sent to the hosting provider"), by_target.get(Target.HOST_NOTICE, (0, 0))),
        ("partner_hotline", _("Forwarded to a partner hotline"), by_target.get(Target.PARTNER_HOTLINE, (0, 0))),
        (
            "partner_hotline_network",
            _("of which through the hotline network"),
            by_channel.get(DeliveryChannel.NETWORK, (0, 0)),
        ),
        ("partner_hotline_email", _("of which by email"), by_channel.get(DeliveryChannel.EMAIL, (0, 0))),
    ):
        rows.append([code, label, cases, referrals])
    rows.append(["removed", _("Content removed"), f.removed, None])
    return Table(
        "quarterly-actions",
        _("Actions taken"),
        [_("Code"), _("Action"), _("Cases"), _("Referrals sent")],
        rows,
        anchor="quarterly-actions",
        keys=["code", "action", "cases", "referrals"],
    )


def _partner_forwards(period: Period) -> Table:
    rows: list[list[Cell]] = [
        [name, cases]
        for name, cases in Referral.objects.filter(
            case_id__in=_facts(period).values("case_id"), sent_at__isnull=False, target=Target.PARTNER_HOTLINE
        )
        .values_list("partner__name")
        .annotate(cases=Count("case_id", distinct=True))
        .order_by("-cases", "partner__name")
    ]
    return Table(
        "quarterly-partners",
        _("Cases forwarded to partner hotlines, by partner"),
        [_("Partner hotline"), _("Cases")],
        rows,
        anchor="quarterly-actions",
        keys=["partner", "cases"],
    )


def quarterly(y: int, q: int) -> Report:
    """The quarterly statistics of EU co-funded hotlines for quarter `q` of year `y`."""
    period = quarter(y, q)
    f = figures(period)
    latest = _latest_assessments(_facts(period).filter(illegal=True).values("case_id"))
    tables = [
        _summary(f),
        _with_shares(
            "quarterly-report-types",
            _("Cases by report type"),
            _("Report type"),
            f.kinds,
            lambda code: _label(ReportKind, code),
            f.cases,
            "quarterly-report-types",
        ),
        _with_shares(
            "quarterly-verdicts",
            _("Assessed cases by verdict"),
            _("Verdict"),
            f.verdict_mix,
            verdict_name,
            f.assessed,
            "quarterly-verdicts",
        ),
        _subtypes(latest),
        _with_shares(
            "quarterly-site-types",
            _("Child sexual abuse material by site type"),
            _("Site type"),
            _grouped(latest, "site_type"),
            lambda code: _label(SiteType, code),
            f.illegal,
            "quarterly-site-types",
        ),
        _with_shares(
            "quarterly-hosting",
            _("Child sexual abuse material by hosting country"),
            _("Country"),
            f.hosting_countries,
            country_name,
            f.illegal,
            "quarterly-hosting",
        ),
        _actions(period, f),
        _partner_forwards(period),
    ]
    return Report(
        QUARTERLY,
        _("Quarterly statistics, quarter %(quarter)s of %(year)s") % {"quarter": q, "year": y},
        period,
        tables,
    )


# --- the yearly notice-and-action transparency report ----------------------------------------------------------
def _notices(period: Period) -> QuerySet[Referral]:
    """Notices to hosting providers first sent in the period (local days)."""
    return Referral.objects.filter(
        target=Target.HOST_NOTICE,
        sent_at__gte=definitions.day_start(period.start),
        sent_at__lt=definitions.day_start(period.end + timedelta(days=1)),
    )


OUTCOME_COUNTS = {
    "notices": Count("id"),
    REMOVED: Count("id", filter=Q(state=ReferralState.CONTENT_REMOVED)),
    NOT_REMOVED: Count("id", filter=Q(state=ReferralState.NOT_REMOVED)),
}


def _outcome_row(notices: int, removed: int, not_removed: int) -> list[Cell]:
    return [notices, removed, not_removed, notices - removed - not_removed]


def _outcome_headings() -> list[str]:
    return [_("Notices"), str(OUTCOME_NAMES[REMOVED]), str(OUTCOME_NAMES[NOT_REMOVED]), _("Pending")]


OUTCOME_KEYS = ["notices", REMOVED, NOT_REMOVED, PENDING]


def _median_seconds(notices: QuerySet[Referral], acted_at: Coalesce | F) -> tuple[int | None, int]:
    """The nearest-rank median of the time from a notice's first sending to `acted_at`, in whole seconds, and
    how many notices it is measured over. The database orders the times and hands back the one in the middle."""
    timed = notices.annotate(acted=acted_at).filter(acted__isnull=False)
    measured = timed.count()
    if not measured:
        return None, 0
    took = (
        timed.annotate(took=ExpressionWrapper(F("acted") - F("sent_at"), output_field=DurationField()))
        .order_by("took", "pk")
        .values_list("took", flat=True)[(measured + 1) // 2 - 1]
    )
    # A removal recorded before the notice went out (the host acted on its own) counts as no time at all.
    return max(0, int(took.total_seconds())), measured


def _transparency_summary(notices: QuerySet[Referral], partner_forwards: int) -> Table:
    counts = notices.aggregate(
        **OUTCOME_COUNTS,
        cases=Count("case_id", distinct=True),
        reminded=Count("id", filter=Q(notice_count__gt=1)),
    )
    to_removal, removed_measured = _median_seconds(
        notices.filter(state=ReferralState.CONTENT_REMOVED), F("content_removed_at")
    )
    to_action, acted_measured = _median_seconds(
        notices.filter(state__in=(ReferralState.CONTENT_REMOVED, ReferralState.NOT_REMOVED)),
        Coalesce("content_removed_at", "not_removed_at"),
    )
    pending = counts["notices"] - counts[REMOVED] - counts[NOT_REMOVED]
    rows: list[list[Cell]] = [
        ["notices", _("Notices sent to hosting providers"), counts["notices"]],
        ["cases", _("Cases the notices were about"), counts["cases"]],
        ["reminded", _("Notices sent again as a reminder"), counts["reminded"]],
        [REMOVED, _("Notices after which the content was removed"), counts[REMOVED]],
        [NOT_REMOVED, _("Notices after which the content was not removed"), counts[NOT_REMOVED]],
        [PENDING, _("Notices with no action recorded yet"), pending],
        [
            "removed_share",
            _("Share of notices after which the content was removed"),
            _rounded(share(counts[REMOVED], counts["notices"])),
        ],
        ["median_seconds_to_removal", _("Median time from notice to removal (seconds)"), to_removal],
        ["removals_measured", _("Removals the median is measured over"), removed_measured],
        ["median_seconds_to_action", _("Median time from notice to action, removed or not (seconds)"), to_action],
        ["actions_measured", _("Actions the median is measured over"), acted_measured],
        ["partner_forwards", _("Forwards to partner hotlines (not notices; for comparison)"), partner_forwards],
    ]
    return Table(
        "transparency-summary",
        _("Notices and actions"),
        [_("Code"), _("Figure"), _("Value")],
        rows,
        anchor="transparency-summary",
        keys=["code", "figure", "value"],
    )


def _by_provider(notices: QuerySet[Referral]) -> Table:
    rows: list[list[Cell]] = []
    for name, country, *counts in (
        notices.values_list("recipient_name", "recipient_country")
        .annotate(**OUTCOME_COUNTS)
        .order_by(F("notices").desc(), "recipient_name", "recipient_country")
    ):
        rows.append([name or _not_recorded(), country, country_name(country), *_outcome_row(*counts)])
    return Table(
        "transparency-providers",
        _("Notices by hosting provider"),
        [_("Hosting provider"), _("Country code"), _("Country"), *_outcome_headings()],
        rows,
        anchor="transparency-providers",
        keys=["provider", "country_code", "country", *OUTCOME_KEYS],
    )


def _by_country(notices: QuerySet[Referral]) -> Table:
    rows: list[list[Cell]] = [
        [country, country_name(country), *_outcome_row(*counts)]
        for country, *counts in notices.values_list("recipient_country")
        .annotate(**OUTCOME_COUNTS)
        .order_by(F("notices").desc(), "recipient_country")
    ]
    return Table(
        "transparency-countries",
        _("Notices by hosting country"),
        [_("Code"), _("Country"), *_outcome_headings()],
        rows,
        anchor="transparency-countries",
        keys=["code", "country", *OUTCOME_KEYS],
    )


def _by_content(notices: QuerySet[Referral]) -> Table:
    verdict = Subquery(
        Assessment.objects.filter(case_id=OuterRef("case_id"), status=AssessmentStatus.CONFIRMED)
        .order_by("-created_at", "-id")
        .values("verdict")[:1]
    )
    counted: dict[str, list[int]] = {}
    for code, *counts in (
        notices.annotate(content=Coalesce(verdict, V(""))).values_list("content").annotate(**OUTCOME_COUNTS).order_by()
    ):
        counted[code] = counts
    rows: list[list[Cell]] = [
        [code, verdict_name(code) if code else _("No confirmed assessment"), *_outcome_row(*counts)]
        for code, counts in sorted(counted.items(), key=lambda item: (-item[1][0], item[0]))
    ]
    return Table(
        "transparency-content",
        _("Notices by content type"),
        [_("Code"), _("Content type"), *_outcome_headings()],
        rows,
        anchor="transparency-content",
        keys=["code", "content_type", *OUTCOME_KEYS],
    )


def _by_outcome(notices: QuerySet[Referral]) -> Table:
    counts = notices.aggregate(**OUTCOME_COUNTS)
    pending = counts["notices"] - counts[REMOVED] - counts[NOT_REMOVED]
    values = {REMOVED: counts[REMOVED], NOT_REMOVED: counts[NOT_REMOVED], PENDING: pending}
    rows: list[list[Cell]] = [
        [code, str(OUTCOME_NAMES[code]), values[code], _rounded(share(values[code], counts["notices"]))]
        for code in OUTCOMES
    ]
    return Table(
        "transparency-actions",
        _("Notices by action taken"),
        [_("Code"), _("Action taken"), _("Notices"), _("Share")],
        rows,
        anchor="transparency-actions",
        keys=["code", "action", "count", "share"],
    )


def transparency(y: int) -> Report:
    """The notice-and-action transparency report of year `y`."""
    period = year(y)
    notices = _notices(period)
    partner_forwards = Referral.objects.filter(
        target=Target.PARTNER_HOTLINE,
        sent_at__gte=definitions.day_start(period.start),
        sent_at__lt=definitions.day_start(period.end + timedelta(days=1)),
    ).count()
    tables = [
        _transparency_summary(notices, partner_forwards),
        _by_outcome(notices),
        _by_provider(notices),
        _by_country(notices),
        _by_content(notices),
    ]
    return Report(TRANSPARENCY, _("Notice-and-action transparency report %(year)s") % {"year": y}, period, tables)
