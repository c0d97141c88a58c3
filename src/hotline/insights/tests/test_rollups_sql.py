"""The facts the rollups' SQL writes, at the edges the random histories rarely reach: durations with fractions of
a second at every bucket edge and at the three-day line (against definitions.bucket), local days at the second a
zone changes its offset (against definitions.local_day, also in zones with half-hour offsets), and which report
counts as a case's first when two arrive at the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseState,
    Channel,
    Report,
    ReportedUrl,
    ReportKind,
)
from hotline.insights import definitions
from hotline.insights.models import CaseFact, ReportDay
from hotline.insights.services import rollup_sql, rollups
from hotline.referrals.models import ReferralTiming
from hotline.staff.factories import known_staff_user

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, 0, 250_000, tzinfo=UTC)  # a quarter of a second past the whole second


def _case(received_at: datetime, index: int, *, channel: str = Channel.WEB) -> Case:
    key = f"sql-test-url-{index}"
    case = Case.objects.create(kind=ReportKind.ONLINE_MATERIAL, state=CaseState.TRIAGED, url_index=key,
                               created_at=received_at)  # fmt: skip
    report = Report.objects.create(channel=channel, kind=ReportKind.ONLINE_MATERIAL, received_at=received_at)
    ReportedUrl.objects.create(report=report, url=f"https://files{index}.example.test/a", url_index=key, case=case)
    return case


def _edges() -> list[timedelta]:
    """Durations on both sides of every bucket edge and of the three-day line, some with fractions of a second."""
    # START is at .25 s: 749,999 microseconds later is .999999, which SQLite's date functions round up.
    edges = [timedelta(0), timedelta(microseconds=999_999), timedelta(seconds=59, microseconds=750_000)]
    edges += [timedelta(microseconds=749_999), timedelta(seconds=59, microseconds=749_999)]
    for below, width in definitions.DURATION_STEPS:
        for point in (below, width, 3 * width + 1):
            if point is None:
                continue
            for shift in (-1, 0, 1):
                edges.append(timedelta(seconds=point + shift))
                edges.append(timedelta(seconds=point + shift, microseconds=500_000))
    within = definitions.REMOVED_WITHIN
    edges += [within - timedelta(microseconds=1), within, within + timedelta(microseconds=500_000)]
    edges += [within + timedelta(seconds=1), timedelta(days=400, seconds=7)]
    return edges


def test_durations_are_bucketed_as_definitions_bucket_says_to_the_microsecond() -> None:
    analyst = known_staff_user("analyst", email="sql-analyst@hotline.example")
    expected = {}
    for index, duration in enumerate(_edges()):
        case = _case(START, index)
        Assessment.objects.create(case=case, analyst=analyst, verdict="csam_baseline", kind=case.kind,
                                  status=AssessmentStatus.CONFIRMED, created_at=START + duration)  # fmt: skip
        ReferralTiming.objects.create(case=case, police_referred_at=START + duration, removed_at=START + duration,
                                      first_notice_at=START)  # fmt: skip
        seconds = int(duration.total_seconds())
        # Within three days counts whole seconds, as every duration does.
        fast = seconds <= definitions.REMOVED_WITHIN.total_seconds()
        expected[case.pk] = (seconds, definitions.bucket(seconds), fast)
    # A removal recorded before the first report counts as at once (0 seconds), as in Python.
    early = _case(START, 999)
    ReferralTiming.objects.create(case=early, removed_at=START - timedelta(hours=2), first_notice_at=START)
    rollups.refresh()

    for fact in CaseFact.objects.exclude(case_id=early.pk):
        seconds, edge, fast = expected[fact.case_id]
        got = (fact.assessment_bucket, fact.police_bucket, fact.removal_bucket, fact.removed_fast)
        assert got == (edge, edge, edge, fast), f"{seconds} s"
    early_fact = CaseFact.objects.get(case_id=early.pk)
    assert (early_fact.removal_bucket, early_fact.removed_fast, early_fact.assessment_bucket) == (0, True, None)


def _around_changes(zone: str, year: int) -> list[datetime]:
    """Moments a second before, at and after each change of the zone's offset in `year` (found in Python)."""
    moments = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    step = timedelta(minutes=15)
    zone_info = definitions.time_zone()
    assert zone_info.key == zone
    while moment.year == year:
        following = moment + step
        if moment.astimezone(zone_info).utcoffset() != following.astimezone(zone_info).utcoffset():
            for seconds in range(0, 15 * 60 + 1, 1):
                at = moment + timedelta(seconds=seconds)
                if at.astimezone(zone_info).utcoffset() == following.astimezone(zone_info).utcoffset():
                    moments += [at - timedelta(seconds=1), at - timedelta(microseconds=1), at]
                    moments.append(at + timedelta(seconds=1))
                    break
        moment = following
    return moments


@pytest.mark.parametrize(
    "zone", ["Europe/Stockholm", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "Australia/Lord_Howe"]
)
def test_local_days_at_the_second_the_offset_changes(zone: str) -> None:
    with override_settings(TIME_ZONE=zone):
        moments = _around_changes(zone, 2026)
        if zone != "Asia/Kolkata":  # no changes there: the moments below suffice
            assert moments, "the zone changes its offset in 2026"
        for day in (datetime(2026, 3, 29), datetime(2026, 10, 25), datetime(2026, 4, 5), datetime(2026, 9, 27)):
            midnight = definitions.day_start(day.date())
            moments += [midnight - timedelta(microseconds=1), midnight, midnight + timedelta(seconds=1)]
        cases = {_case(moment, index).pk: moment for index, moment in enumerate(moments)}
        rollups.refresh()

        for fact in CaseFact.objects.all():
            assert fact.day == definitions.local_day(cases[fact.case_id]), cases[fact.case_id].isoformat()
        expected: dict[object, int] = {}
        for moment in moments:
            expected[definitions.local_day(moment)] = expected.get(definitions.local_day(moment), 0) + 1
        got = dict(ReportDay.objects.filter(whole_month=False).values_list("day", "reports"))
        assert got == expected
        rollups.rebuild()
        assert dict(ReportDay.objects.filter(whole_month=False).values_list("day", "reports")) == expected


def test_the_utc_offsets_cover_the_zone_as_zoneinfo_knows_it() -> None:
    periods = rollup_sql.utc_offsets("Europe/Stockholm")
    assert periods[0][0] == ""
    assert dict(periods)["2026-03-29 01:00:00"] == 7200  # summer time starts at 01:00 UTC
    assert dict(periods)["2026-10-25 01:00:00"] == 3600
    assert rollup_sql.utc_offsets("UTC") == (("", 0),)


def test_the_first_report_is_the_earliest_then_the_lowest_id_through_urls_or_as_a_situation() -> None:
    case = _case(START + timedelta(hours=1), 1, channel=Channel.WEB)
    # Two more reports of the same URL, both earlier and at the same moment: the lower id is the first.
    same = START
    first = Report.objects.create(channel=Channel.NETWORK, source_name="Partner hotline NL (test)",
                                  kind=ReportKind.ONLINE_MATERIAL, received_at=same)  # fmt: skip
    second = Report.objects.create(channel=Channel.API, source_name="Partner API (test)",
                                   kind=ReportKind.ONLINE_MATERIAL, received_at=same)  # fmt: skip
    for report in (second, first):
        ReportedUrl.objects.create(report=report, url="https://files1.example.test/a", url_index="sql-test-url-1",
                                   case=case)  # fmt: skip
    # A situation report of another case, and a case without any report (made by staff).
    situation_case = Case.objects.create(kind=ReportKind.TRAFFICKING, state=CaseState.TRIAGED, created_at=START)
    situation = Report.objects.create(channel=Channel.BOOKMARK, kind=ReportKind.TRAFFICKING, received_at=START,
                                      situation_case=situation_case)  # fmt: skip
    alone = Case.objects.create(kind=ReportKind.GROOMING, state=CaseState.TRIAGED, created_at=START)
    rollups.refresh()

    fact = CaseFact.objects.get(case_id=case.pk)
    assert (fact.first_report_id, fact.received_at, fact.channel, fact.partner) == (
        first.pk, same, Channel.NETWORK, "Partner hotline NL (test)",
    )  # fmt: skip
    assert CaseFact.objects.get(case_id=situation_case.pk).first_report_id == situation.pk
    staff = CaseFact.objects.get(case_id=alone.pk)
    assert (staff.first_report_id, staff.channel, staff.partner, staff.kind) == (None, Channel.STAFF, "", "grooming")
    # The two later URLs of the case are repeat URLs of their reports' day; the first report's is not.
    day = ReportDay.objects.filter(whole_month=False)
    assert sum(row.urls for row in day) == 3
    assert sum(row.repeat_urls for row in day) == 2


def test_constants_that_could_end_an_sql_literal_are_refused() -> None:
    assert rollup_sql.sql_literal("Europe/Stockholm") == "'Europe/Stockholm'"
    with pytest.raises(ValueError):
        rollup_sql.sql_literal("x' OR '1'='1")
