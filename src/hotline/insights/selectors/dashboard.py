"""What the dashboard shows beyond the period's figures: the campaign figures of a period, the comparisons with a
year earlier and the period before, the key figures as rows of words, and up to when the figures are counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.campaigns.models import Signature, SignatureState, Subscriber
from hotline.insights import definitions
from hotline.insights.models import RollupState
from hotline.insights.selectors.figures import Figures, Period, figures

COUNT = "count"
SHARE = "share"
DURATION = "duration"


@dataclass(frozen=True)
class CampaignFigures:
    signatures: int = 0  # confirmed in the period, not invalidated (docs/statistics.md#signatures)
    subscribers: int = 0  # confirmed in the period, not unsubscribed (docs/statistics.md#subscribers)


def campaign_figures(*periods: Period) -> list[CampaignFigures]:
    """The campaign figures of each period, two queries in all (one per table, whatever the number of periods)."""

    def bounds(field: str, period: Period) -> Q:
        return Q(
            **{
                f"{field}__gte": definitions.day_start(period.start),
                f"{field}__lt": definitions.day_start(period.end + timedelta(days=1)),
            }
        )

    signatures = Signature.objects.filter(state=SignatureState.CONFIRMED, invalidated_at=None).aggregate(
        **{f"p{i}": Count("pk", filter=bounds("confirmed_at", p)) for i, p in enumerate(periods)}
    )
    subscribers = Subscriber.objects.filter(unsubscribed_at=None).aggregate(
        **{f"p{i}": Count("pk", filter=bounds("confirmed_at", p)) for i, p in enumerate(periods)}
    )
    return [
        CampaignFigures(signatures=signatures[f"p{i}"] or 0, subscribers=subscribers[f"p{i}"] or 0)
        for i in range(len(periods))
    ]


# --- comparisons ---------------------------------------------------------------------------------------------
def ratio(now: float | None, before: float | None) -> float | None:
    """now / before, or None when there is nothing to compare with (no earlier figure, or it was 0)."""
    if now is None or not before:
        return None
    return now / before


def difference(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return now - before


def period_label(period: Period) -> str:
    """The period in words: "March 2025", "quarter 1 of 2025", "2025", "3 March 2025 – 9 March 2025"."""
    if period.unit == "year":
        return str(period.start.year)
    if period.unit == "month":
        return formats.date_format(period.start, "F Y")
    if period.unit == "quarter":
        return _("quarter %(number)s of %(year)s") % {
            "number": (period.start.month - 1) // 3 + 1,
            "year": period.start.year,
        }
    return f"{formats.date_format(period.start, 'j F Y')} – {formats.date_format(period.end, 'j F Y')}"


def _rounded(value: float | Decimal, decimals: int = 0) -> Decimal:
    """Rounded half up, as people expect (62.5 % -> 63 %), not to the even neighbour."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _number(value: float | Decimal, decimals: int = 0) -> str:
    """In the active language's way ("1 234,5" in Swedish)."""
    return formats.number_format(_rounded(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_count(value: int | None) -> str:
    return _("no data") if value is None else _number(value)


def format_share(value: float | None) -> str:
    """ "79 %" (a share as a whole percent), or "no data" when there is no whole: never 0 %."""
    if value is None:
        return _("no data")
    return _("%(percent)s %%") % {"percent": _number(100 * value)}


def format_duration(seconds: int | float | None) -> str:
    """A time as people say it: "42 min", "3 h 15 min", "4 d 6 h", "45 d"."""
    if seconds is None:
        return _("no data")
    total_minutes = int(abs(seconds)) // definitions.MINUTE
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(_("%(days)s d") % {"days": days})
    if hours and days < 30:
        parts.append(_("%(hours)s h") % {"hours": hours})
    if minutes and not days:
        parts.append(_("%(minutes)s min") % {"minutes": minutes})
    return " ".join(parts) or _("%(minutes)s min") % {"minutes": 0}


def format_ratio(value: float | None) -> str:
    """ "×3.0" (sv "×3,0"), or "no data" when the earlier figure was nothing."""
    return _("no data") if value is None else "×" + _number(value, 1)


def _signed(text: str, value: float | Decimal) -> str:
    if value > 0:
        return "+" + text
    if value < 0:
        return "\u2212" + text  # a minus sign, not a hyphen
    return "±" + text


def format_difference(value: float | None, kind: str) -> str:
    """ "+80", "−5 percentage points", "+1 h 15 min"; "no data" when either figure is missing."""
    if value is None:
        return _("no data")
    if kind == SHARE:
        points = _rounded(100 * value)
        return _signed(_("%(points)s percentage points") % {"points": _number(abs(points))}, points)
    if kind == DURATION:
        return _signed(format_duration(abs(value)), value)
    return _signed(_number(abs(value)), value)


def format_value(value: float | None, kind: str) -> str:
    if kind == SHARE:
        return format_share(value)
    if kind == DURATION:
        return format_duration(value)
    return format_count(None if value is None else int(value))


@dataclass(frozen=True)
class Comparison:
    """One figure against an earlier period: that period's value, the ratio (counts and times) and the
    difference, each already in words."""

    before: str
    ratio: str
    difference: str


def compare(now: float | None, before: float | None, kind: str) -> Comparison:
    # A share's ratio says little ("×1.1" of 70 %); its difference in percentage points says it.
    shown_ratio = "" if kind == SHARE else format_ratio(ratio(now, before))
    return Comparison(format_value(before, kind), shown_ratio, format_difference(difference(now, before), kind))


# --- the key figures ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FigureSpec:
    code: str
    label: object  # a lazy translation
    anchor: str  # docs/statistics.md#<anchor>
    kind: str
    value: Callable[[Figures, CampaignFigures], float | int | None]


def _spec(code: str, label: object, anchor: str, kind: str = COUNT) -> FigureSpec:
    return FigureSpec(code, label, anchor, kind, lambda f, c: getattr(f, code))


def _time(measure: str, which: str, label: object) -> FigureSpec:
    def value(f: Figures, c: CampaignFigures) -> int | None:
        return (f.median_seconds if which == "median" else f.p90_seconds).get(measure)

    return FigureSpec(f"{which}_{measure}", label, "durations", DURATION, value)


# The key figures, in groups (a table each), in the order the page shows them.
GROUPS: tuple[tuple[object, tuple[FigureSpec, ...]], ...] = (
    (
        gettext_lazy("Reports and cases"),
        (
            _spec("reports", gettext_lazy("Reports received"), "reports"),
            _spec("urls", gettext_lazy("URLs reported"), "urls"),
            _spec("repeat_urls", gettext_lazy("Repeat URLs"), "repeat-urls"),
            _spec("cases", gettext_lazy("Cases"), "cases"),
            _spec("assessed", gettext_lazy("Cases assessed"), "assessed"),
            _spec("illegal", gettext_lazy("Cases assessed as illegal"), "illegal"),
            _spec("illegal_share", gettext_lazy("Share of assessed cases that were illegal"), "illegal", SHARE),
            _spec("duplicates", gettext_lazy("Duplicates"), "duplicates"),
            _spec("hash_matches", gettext_lazy("Hash-list matches"), "hash-matches"),
        ),
    ),
    (
        gettext_lazy("National link"),
        (
            _spec("nexus_cases", gettext_lazy("Illegal cases with a national link"), "nexus"),
            _spec(
                "nexus_from_partner_hotlines",
                gettext_lazy("Of these, first reported by a partner hotline"),
                "partner-share",
            ),
            _spec("nexus_partner_share", gettext_lazy("Share from partner hotlines"), "partner-share", SHARE),
        ),
    ),
    (
        gettext_lazy("Times"),
        (
            _time(definitions.TO_ASSESSMENT, "median", gettext_lazy("Median time to assessment")),
            _time(definitions.TO_ASSESSMENT, "p90", gettext_lazy("90th percentile of time to assessment")),
            _time(definitions.TO_POLICE, "median", gettext_lazy("Median time to the police")),
            _time(definitions.TO_POLICE, "p90", gettext_lazy("90th percentile of time to the police")),
            _time(definitions.TO_REMOVAL, "median", gettext_lazy("Median time to removal")),
            _time(definitions.TO_REMOVAL, "p90", gettext_lazy("90th percentile of time to removal")),
        ),
    ),
    (
        gettext_lazy("Referrals and removal"),
        (
            _spec("police", gettext_lazy("Cases referred to the police"), "notices"),
            _spec("noticed", gettext_lazy("Cases with a notice sent"), "notices"),
            _spec("notices", gettext_lazy("Notices sent"), "notices"),
            _spec("repeated_notices", gettext_lazy("Repeated notices"), "repeated-notices"),
            _spec("escalated", gettext_lazy("Escalated referrals"), "escalated"),
            _spec("failures", gettext_lazy("Referral failures"), "failures"),
            _spec("removed", gettext_lazy("Cases removed"), "removed-within-3-days"),
            _spec("removed_within_3_days", gettext_lazy("Removed within 3 days"), "removed-within-3-days"),
            _spec(
                "removed_fast_share",
                gettext_lazy("Share of removed cases removed within 3 days"),
                "removed-within-3-days",
                SHARE,
            ),
        ),
    ),
    (
        gettext_lazy("Campaigns"),
        (
            FigureSpec(
                "signatures", gettext_lazy("Petition signatures"), "signatures", COUNT, lambda f, c: c.signatures
            ),
            FigureSpec(
                "subscribers",
                gettext_lazy("Newsletter subscribers"),
                "subscribers",
                COUNT,
                lambda f, c: c.subscribers,
            ),
        ),
    ),
)


@dataclass(frozen=True)
class KeyFigure:
    code: str
    label: str
    definition: str  # the address of its definition
    value: str
    year_earlier: Comparison
    previous: Comparison


@dataclass(frozen=True)
class FigureGroup:
    title: str
    figures: list[KeyFigure]


@dataclass(frozen=True)
class Dashboard:
    period: Period
    year_earlier: Period
    previous: Period
    figures: Figures
    groups: list[FigureGroup]
    counted_up_to: datetime | None


def counted_up_to() -> datetime | None:
    """When the rollups were last brought up to date (the figures include every change before it)."""
    state = RollupState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    return state


def dashboard(period: Period) -> Dashboard:
    """Everything the dashboard page shows for `period`: three reads of the rollups (the period, a year
    earlier, the period before) and two of the campaign tables."""
    earlier, before = period.year_earlier(), period.previous()
    now_f, earlier_f, before_f = figures(period), figures(earlier, series=False), figures(before, series=False)
    now_c, earlier_c, before_c = campaign_figures(period, earlier, before)
    groups = []
    for title, specs in GROUPS:
        rows = []
        for spec in specs:
            value = spec.value(now_f, now_c)
            rows.append(
                KeyFigure(
                    code=spec.code,
                    label=str(spec.label),
                    definition=definitions.definition_url(spec.anchor),
                    value=format_value(value, spec.kind),
                    year_earlier=compare(value, spec.value(earlier_f, earlier_c), spec.kind),
                    previous=compare(value, spec.value(before_f, before_c), spec.kind),
                )
            )
        groups.append(FigureGroup(str(title), rows))
    return Dashboard(period, earlier, before, now_f, groups, counted_up_to())
