"""The dashboard's figures for a period, read from the day rollups (docs/statistics.md says what each counts)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, Sum

from hotline.cases.models import Channel
from hotline.insights import definitions
from hotline.insights.models import CaseDay, CaseTally, DurationDay, ReportDay

SUMMED = (
    "cases",
    "assessed",
    "illegal",
    "duplicates",
    "hash_matches",
    "police",
    "noticed",
    "removed",
    "removed_within_3_days",
    "notices",
    "repeated_notices",
    "escalated",
    "failures",
)

# How the removal times are shown as a distribution (upper bounds in seconds; the last has none).
REMOVAL_BANDS = (
    ("within_1_day", definitions.DAY),
    ("1_to_3_days", 3 * definitions.DAY),
    ("3_to_7_days", 7 * definitions.DAY),
    ("7_to_30_days", 30 * definitions.DAY),
    ("over_30_days", None),
)

# Written as IN (…): Django writes `whole_month=False` as NOT "whole_month" (and True as "whole_month"), which the
# rollups' (whole_month, day) indexes cannot serve; an IN list is an equality they can.
DAY_ROWS = (False,)
MONTH_ROWS = (True,)
# Reports over time are counted per day for periods up to this many days, per month for longer ones (a year's
# table is twelve rows, not 365, and is read from the month rows).
DAILY_UP_TO_DAYS = 62


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included, in the installation's time zone."""

    start: date
    end: date
    unit: str = "custom"  # month, quarter, year or custom

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before: the previous month, quarter or year, or as many days just before."""
        if self.unit == "month":
            before = self.start - timedelta(days=1)
            return month(before.year, before.month)
        if self.unit == "quarter":
            before = self.start - timedelta(days=1)
            return quarter(before.year, (before.month - 1) // 3 + 1)
        if self.unit == "year":
            return year(self.start.year - 1)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_earlier(self) -> Period:
        """The same days a year earlier (29 February falls back to the 28th)."""

        def back(day: date) -> date:
            try:
                return day.replace(year=day.year - 1)
            except ValueError:
                return day.replace(year=day.year - 1, day=28)

        return Period(back(self.start), back(self.end), self.unit)


def month(y: int, m: int) -> Period:
    return Period(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]), "month")


def quarter(y: int, q: int) -> Period:
    first = 3 * (q - 1) + 1
    return Period(date(y, first, 1), date(y, first + 2, calendar.monthrange(y, first + 2)[1]), "quarter")


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), "year")


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is no whole (shown as "no data", never as 0 %)."""
    return part / whole if whole else None


@dataclass
class Figures:
    period: Period
    reports: int = 0
    urls: int = 0
    repeat_urls: int = 0
    reports_by_channel: dict[str, int] = field(default_factory=dict)
    reports_by_partner: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    assessed: int = 0
    illegal: int = 0
    duplicates: int = 0
    hash_matches: int = 0
    police: int = 0
    noticed: int = 0
    removed: int = 0
    removed_within_3_days: int = 0
    notices: int = 0
    repeated_notices: int = 0
    escalated: int = 0
    failures: int = 0
    nexus_cases: int = 0
    nexus_by_channel: dict[str, int] = field(default_factory=dict)
    nexus_by_partner: dict[str, int] = field(default_factory=dict)
    verdict_mix: dict[str, int] = field(default_factory=dict)  # assessed cases by verdict
    hosting_countries: dict[str, int] = field(default_factory=dict)  # illegal cases by hosting country
    kinds: dict[str, int] = field(default_factory=dict)  # cases by kind
    median_seconds: dict[str, int | None] = field(default_factory=dict)
    p90_seconds: dict[str, int | None] = field(default_factory=dict)
    removal_distribution: dict[str, int] = field(default_factory=dict)
    # Reports by channel per day, or per month (keyed by its first day) when series_by_month.
    reports_over_time: dict[date, dict[str, int]] = field(default_factory=dict)
    series_by_month: bool = False

    @property
    def illegal_share(self) -> float | None:
        return share(self.illegal, self.assessed)

    @property
    def nexus_from_partner_hotlines(self) -> int:
        return self.nexus_by_channel.get(Channel.NETWORK, 0)

    @property
    def nexus_partner_share(self) -> float | None:
        """Of the illegal cases with a national link, the share whose first report came from a partner hotline."""
        return share(self.nexus_from_partner_hotlines, self.nexus_cases)

    @property
    def removed_fast_share(self) -> float | None:
        """Of the removed cases, the share removed within 3 days of the first report (INHOPE's measure)."""
        return share(self.removed_within_3_days, self.removed)


def _add(counter: dict[str, int], key: str, n: int) -> None:
    if n:
        counter[key] = counter.get(key, 0) + n


def _spans(period: Period) -> Q:
    """The rollup rows that make up `period`: month rows for each whole calendar month inside it, day rows for
    the days at its edges. A year reads twelve month rows per dimension instead of 365 day rows."""
    months: list[date] = []
    first = period.start if period.start.day == 1 else (period.start.replace(day=1) + timedelta(days=32)).replace(day=1)
    while True:
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if last > period.end:
            break
        months.append(first)
        first = last + timedelta(days=1)
    if not months:
        return Q(whole_month__in=DAY_ROWS, day__gte=period.start, day__lte=period.end)
    head_end = months[0] - timedelta(days=1)
    tail_start = (months[-1] + timedelta(days=32)).replace(day=1)
    spans = Q(whole_month__in=MONTH_ROWS, day__in=months)
    if period.start <= head_end:
        spans |= Q(whole_month__in=DAY_ROWS, day__gte=period.start, day__lte=head_end)
    if tail_start <= period.end:
        spans |= Q(whole_month__in=DAY_ROWS, day__gte=tail_start, day__lte=period.end)
    return spans


TALLY_TARGETS = {CaseTally.KIND: "kinds", CaseTally.VERDICT: "verdict_mix", CaseTally.COUNTRY: "hosting_countries"}


def figures(period: Period, *, series: bool = True) -> Figures:
    """The period's figures; `series=False` leaves out reports over time (the comparison periods need none)."""
    result = Figures(period=period)
    spans = _spans(period)

    rows = (
        CaseDay.objects.filter(spans)
        .values_list("channel", "partner", "nexus")
        .annotate(*(Sum(n) for n in SUMMED))
        .order_by()
    )
    for channel, partner, nexus, *sums in rows:
        for name, value in zip(SUMMED, sums, strict=True):
            setattr(result, name, getattr(result, name) + (value or 0))
        if nexus:
            cases = sums[0] or 0
            result.nexus_cases += cases
            _add(result.nexus_by_channel, channel, cases)
            if partner:
                _add(result.nexus_by_partner, partner, cases)

    for dimension, value, n in (
        CaseTally.objects.filter(spans).values_list("dimension", "value").annotate(Sum("cases")).order_by()
    ):
        if n:
            _add(getattr(result, TALLY_TARGETS[dimension]), value, n)

    for channel, partner, reports, urls, repeat_urls in (
        ReportDay.objects.filter(spans)
        .values_list("channel", "partner")
        .annotate(Sum("reports"), Sum("urls"), Sum("repeat_urls"))
        .order_by()
    ):
        result.reports += reports
        result.urls += urls
        result.repeat_urls += repeat_urls
        _add(result.reports_by_channel, channel, reports)
        if partner:
            _add(result.reports_by_partner, partner, reports)
    if series:
        by_month = period.days > DAILY_UP_TO_DAYS
        result.series_by_month = by_month
        # Per month: the month rows of whole months and the day rows of the edges (`spans`), summed per month.
        series_rows = spans if by_month else Q(whole_month__in=DAY_ROWS, day__gte=period.start, day__lte=period.end)
        for day, channel, reports in (
            ReportDay.objects.filter(series_rows).values_list("day", "channel").annotate(Sum("reports")).order_by()
        ):
            per_key = result.reports_over_time.setdefault(day.replace(day=1) if by_month else day, {})
            per_key[channel] = per_key.get(channel, 0) + reports

    buckets: dict[str, dict[int, int]] = defaultdict(dict)
    for measure, bucket, n in (
        DurationDay.objects.filter(spans).values_list("measure", "bucket").annotate(Sum("cases")).order_by()
    ):
        buckets[measure][bucket] = buckets[measure].get(bucket, 0) + n
    for measure in definitions.MEASURES:
        result.median_seconds[measure] = definitions.percentile(buckets[measure], 50)
        result.p90_seconds[measure] = definitions.percentile(buckets[measure], 90)
    result.removal_distribution = removal_bands(buckets[definitions.TO_REMOVAL])
    return result


def removal_bands(counts: dict[int, int]) -> dict[str, int]:
    bands = {name: 0 for name, _upper in REMOVAL_BANDS}
    for bucket, n in counts.items():
        for name, upper in REMOVAL_BANDS:
            if upper is None or bucket < upper:
                bands[name] += n
                break
    return bands
