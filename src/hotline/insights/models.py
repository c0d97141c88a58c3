"""Statistics kept beside the casework: one fact row per case, rollups per day, and the change log that keeps
them up to date (docs/statistics.md). Nothing here is a source of truth: `manage.py rebuild_rollups` makes every
row again from the cases, reports, assessments and referrals."""

from __future__ import annotations

from django.db import models


class Change(models.Model):
    """A case or report whose figures may have changed. Written by database triggers (migration 0001) in the same
    transaction as the change itself, so no change is ever missed, also not one made by a bulk update; one new
    row per change, so intake never waits on a shared counter. The worker turns them into facts and rollups and
    deletes exactly the rows it read."""

    case_id = models.BigIntegerField(null=True)
    report_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "insights_change"


class CaseFact(models.Model):
    """What the statistics need to know about one case, read from the raw tables. `day` is the local date (the
    installation's time zone) on which the case's first report arrived: every figure of a case counts on that
    day, however late it was assessed, referred or removed."""

    case_id = models.BigIntegerField(primary_key=True)
    day = models.DateField(db_index=True)
    received_at = models.DateTimeField()
    first_report_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=16)
    partner = models.CharField(max_length=120, blank=True)  # the partner hotline or API source of the first report
    kind = models.CharField(max_length=32)
    verdict = models.CharField(max_length=24, blank=True)  # the confirmed assessment's, "" before one
    illegal = models.BooleanField(default=False)
    nexus = models.BooleanField(default=False)  # illegal and linked to this country (server, victim or offender)
    hosting_country = models.CharField(max_length=2, blank=True)
    duplicate = models.BooleanField(default=False)  # closed as a duplicate of another case
    hash_match = models.BooleanField(default=False)
    assessed_at = models.DateTimeField(null=True)
    police_at = models.DateTimeField(null=True)
    first_notice_at = models.DateTimeField(null=True)
    removed_at = models.DateTimeField(null=True)
    # Durations from the first report, bucketed (definitions.bucket), in seconds; None until it happened.
    assessment_bucket = models.BigIntegerField(null=True)
    police_bucket = models.BigIntegerField(null=True)
    removal_bucket = models.BigIntegerField(null=True)
    removed_fast = models.BooleanField(default=False)  # removed within 3 days of the first report (INHOPE)
    notices = models.IntegerField(default=0)  # notices to the host or a partner hotline that were sent
    repeated_notices = models.IntegerField(default=0)  # of those, sent more than once (a reminder)
    escalated = models.IntegerField(default=0)
    failures = models.IntegerField(default=0)  # referrals whose delivery failed

    class Meta:
        db_table = "insights_casefact"


class CaseDay(models.Model):
    """Cases of a day by channel, partner and national nexus, with their counts. A row with `whole_month` is the
    sum of its month's day rows (`day` is the first of the month): a year is read from twelve month rows, and
    only the days at the edges of a custom period from day rows."""

    day = models.DateField()
    whole_month = models.BooleanField(default=False)
    channel = models.CharField(max_length=16)
    partner = models.CharField(max_length=120, blank=True)
    nexus = models.BooleanField(default=False)
    cases = models.IntegerField(default=0)
    assessed = models.IntegerField(default=0)
    illegal = models.IntegerField(default=0)
    duplicates = models.IntegerField(default=0)
    hash_matches = models.IntegerField(default=0)
    police = models.IntegerField(default=0)
    noticed = models.IntegerField(default=0)
    removed = models.IntegerField(default=0)
    removed_within_3_days = models.IntegerField(default=0)
    notices = models.IntegerField(default=0)
    repeated_notices = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    failures = models.IntegerField(default=0)

    class Meta:
        db_table = "insights_caseday"
        indexes = [models.Index(fields=["whole_month", "day"], name="insights_caseday_day")]


class CaseTally(models.Model):
    """Cases of a day split by one more dimension: `kind` (cases of each kind), `verdict` (assessed cases by
    their confirmed verdict) or `country` (illegal cases by hosting country, "" unknown). One narrow table
    instead of one cube of every dimension, which would hold nearly a row per case at national scale."""

    KIND = "kind"
    VERDICT = "verdict"
    COUNTRY = "country"

    day = models.DateField()
    whole_month = models.BooleanField(default=False)
    dimension = models.CharField(max_length=8)
    value = models.CharField(max_length=32, blank=True)
    cases = models.IntegerField(default=0)

    class Meta:
        db_table = "insights_casetally"
        indexes = [models.Index(fields=["whole_month", "day"], name="insights_casetally_day")]


class ReportDay(models.Model):
    """Reports per day, channel and partner: reports, the URLs in them, and the URLs that were already known
    (month rows as in CaseDay)."""

    day = models.DateField()
    whole_month = models.BooleanField(default=False)
    channel = models.CharField(max_length=16)
    partner = models.CharField(max_length=120, blank=True)
    reports = models.IntegerField(default=0)
    urls = models.IntegerField(default=0)
    repeat_urls = models.IntegerField(default=0)

    class Meta:
        db_table = "insights_reportday"
        indexes = [models.Index(fields=["whole_month", "day"], name="insights_reportday_day")]


class DurationDay(models.Model):
    """How many cases of a day took how long for a measure (report to assessment, to police, to removal), by
    bucket: the lower edge of the bucket in seconds (docs/statistics.md, "Durations"; month rows as in
    CaseDay)."""

    day = models.DateField()
    whole_month = models.BooleanField(default=False)
    measure = models.CharField(max_length=16)
    bucket = models.BigIntegerField()
    cases = models.IntegerField(default=0)

    class Meta:
        db_table = "insights_durationday"
        indexes = [models.Index(fields=["whole_month", "day", "measure"], name="insights_durationday_day")]


class RollupState(models.Model):
    """One row: the data version (raised at every refresh that changed something) and when it happened."""

    version = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "insights_rollupstate"


# --- goals and yearly results (docs/results.md) -----------------------------------------------------------------
class Goal(models.Model):
    """One of a year's goals on the public goals-and-results page, in Swedish and English."""

    year = models.PositiveSmallIntegerField(db_index=True)
    title_sv = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    narrative_sv = models.TextField(blank=True)
    narrative_en = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "insights_goal"
        ordering = ("year", "order", "pk")


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", "computed"
    MANUAL = "manual", "manual"


class Indicator(models.Model):
    """How a goal is measured: a figure computed from Hotline's own data for the goal's year or one of its
    quarters (selectors/indicators.py names them), or a figure from outside entered by hand with its source and
    date (a survey, an event, a hand-over)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="indicators")
    label_sv = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=IndicatorKind.choices)
    order = models.PositiveSmallIntegerField(default=0)
    # computed
    figure = models.CharField(max_length=48, blank=True)
    year_earlier = models.BooleanField(default=False)  # shown as the ratio to the same period a year earlier
    quarter = models.PositiveSmallIntegerField(null=True, blank=True)  # None: the whole year
    # manual
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    source_sv = models.CharField(max_length=300, blank=True)
    source_en = models.CharField(max_length=300, blank=True)
    source_date = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "insights_indicator"
        ordering = ("order", "pk")


class PublishedResult(models.Model):
    """A year's page as published: every text and every indicator's value, with the computed figures they came
    from, frozen as JSON (both languages in it). Publishing again makes a new row that becomes the current one;
    earlier rows are kept, so any page once shown can be shown again exactly."""

    year = models.PositiveSmallIntegerField()
    snapshot = models.JSONField()
    data_version = models.BigIntegerField()
    definitions_version = models.CharField(max_length=32)
    published_by = models.ForeignKey("staff.StaffUser", null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField()
    current = models.BooleanField(default=True)

    class Meta:
        db_table = "insights_publishedresult"
        ordering = ("-published_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(current=True), name="insights_one_current_result_per_year"
            )
        ]
