"""Random histories (reports, repeat reports, earlier reports arriving late, reassessments, referrals, reminders,
failures, escalations, late removals, duplicates, hosting countries changed by a bulk update), across a year
boundary and in several time zones: after the worker's incremental refreshes and again after rebuild_rollups,
every dashboard figure equals a direct count over the raw tables, and the rollup tables are identical."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hotline.cases.models import (
    Assessment,
    AssessmentStatus,
    Case,
    CaseState,
    Channel,
    CloseReason,
    Report,
    ReportedUrl,
    ReportKind,
)
from hotline.insights.models import CaseDay, CaseFact, CaseTally, Change, DurationDay, ReportDay
from hotline.insights.selectors.figures import Period, figures, month, quarter, year
from hotline.insights.services import rollups
from hotline.insights.tests.direct import as_dict, direct_figures, normalised
from hotline.referrals.models import AttemptKind, DeliveryAttempt, Referral, ReferralState, ReferralTiming, Target
from hotline.staff.factories import known_staff_user

pytestmark = pytest.mark.django_db

BASE = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)  # near midnight of a new year in every zone below
ZONES = ("Europe/Stockholm", "UTC", "America/New_York", "Pacific/Auckland")
CHANNELS = (Channel.WEB, Channel.NETWORK, Channel.API, Channel.BOOKMARK, Channel.STAFF)
PARTNERS = ("Partner hotline NL (test)", "Partner hotline DE (test)")
VERDICTS = ("csam_baseline", "csam_national", "not_csam", "harmful_not_illegal", "unreachable")
PERIODS = (
    year(2025),
    year(2026),
    quarter(2025, 4),
    quarter(2026, 1),
    month(2026, 1),
    Period(BASE.date() - timedelta(days=10), BASE.date() + timedelta(days=10)),
    # Days at both edges around at least one whole month (read from month rows).
    Period(BASE.date() - timedelta(days=45), BASE.date() + timedelta(days=40)),
)
_refs = itertools.count()

hours = st.integers(min_value=-900, max_value=900)
pick = st.integers(min_value=0, max_value=30)

new_report = st.tuples(
    st.just("report"),
    hours,
    st.sampled_from(CHANNELS),
    st.sampled_from(PARTNERS),
    st.one_of(st.none(), st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=3, unique=True)),
)
assess = st.tuples(
    st.just("assess"), pick, st.sampled_from(VERDICTS), st.booleans(), st.booleans(), st.integers(0, 400), st.booleans()
)
refer = st.tuples(
    st.just("refer"),
    pick,
    st.sampled_from((Target.HOST_NOTICE, Target.POLICE)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
timing = st.tuples(
    st.just("timing"), pick, st.one_of(st.none(), st.integers(0, 2000)), st.one_of(st.none(), st.integers(-5, 2000))
)
duplicate = st.tuples(st.just("duplicate"), pick)
country = st.tuples(st.just("country"), pick, st.sampled_from(("SE", "NL", "US", "")))
hash_match = st.tuples(st.just("hash_match"), pick)
refresh = st.tuples(st.just("refresh"))
operations = st.lists(
    st.one_of(new_report, new_report, assess, refer, timing, duplicate, country, hash_match, refresh),
    min_size=1,
    max_size=30,
)


class _RollBack(Exception):
    pass


def _cases() -> list[Case]:
    return list(Case.objects.order_by("pk"))


def _apply(op: tuple[Any, ...], analyst: Any) -> None:
    kind = op[0]
    if kind == "report":
        _kind, offset, channel, partner, urls = op
        received_at = BASE + timedelta(hours=offset)
        source = partner if channel in (Channel.NETWORK, Channel.API) else ""
        if urls is None:
            case = Case.objects.create(kind=ReportKind.TRAFFICKING, state=CaseState.TRIAGED, created_at=received_at)
            Report.objects.create(
                channel=channel, kind=ReportKind.TRAFFICKING, source_name=source, received_at=received_at,
                situation_case=case,
            )  # fmt: skip
            return
        report = Report.objects.create(channel=channel, kind=ReportKind.ONLINE_MATERIAL, source_name=source,
                                       received_at=received_at)  # fmt: skip
        for position, index in enumerate(urls):
            key = f"test-url-{index}"
            case = Case.objects.filter(url_index=key).first()
            if case is None:
                case = Case.objects.create(
                    kind=ReportKind.ONLINE_MATERIAL, state=CaseState.TRIAGED, url_index=key, created_at=received_at,
                    canonical_url=f"https://files{index}.example.test/a",
                )  # fmt: skip
            ReportedUrl.objects.create(
                report=report, position=position, url=f"https://files{index}.example.test/a", url_index=key, case=case
            )
        return
    if kind == "refresh":
        rollups.refresh()
        return
    cases = _cases()
    if not cases:
        return
    case = cases[op[1] % len(cases)]
    if kind == "assess":
        _kind, _pick, verdict, nexus_server, nexus_victim, after, confirmed = op
        at = case.created_at + timedelta(hours=after)
        status = AssessmentStatus.CONFIRMED if confirmed else AssessmentStatus.AWAITING_REVIEW
        if confirmed:
            Assessment.objects.filter(case=case, status=AssessmentStatus.CONFIRMED).update(
                status=AssessmentStatus.SUPERSEDED
            )
        Assessment.objects.create(
            case=case, analyst=analyst, verdict=verdict, kind=case.kind, status=status, created_at=at,
            nexus_server=nexus_server, nexus_victim=nexus_victim,
        )  # fmt: skip
    elif kind == "refer":
        _kind, _pick, target, sent, failed, escalated, reminded = op
        reference = f"T{next(_refs)}"
        state = ReferralState.SENT if sent else ReferralState.FAILED if failed else ReferralState.PLANNED
        referral = Referral.objects.create(
            reference=reference, case=case, target=target, target_key=f"{target}:{reference}", state=state,
            sent_at=case.created_at if sent else None, failed_at=case.created_at if failed else None,
            last_error="" if sent or not failed else "The mail server refused the message (test).",
        )  # fmt: skip
        if reminded:
            DeliveryAttempt.objects.create(referral=referral, number=2, kind=AttemptKind.REMINDER, ok=True)
            referral.last_notice_at = case.created_at
            referral.save(update_fields=["last_notice_at"])
        if escalated:
            Referral.objects.filter(pk=referral.pk).update(escalated_at=case.created_at)
    elif kind == "timing":
        _kind, _pick, police_hours, removed_hours = op
        ReferralTiming.objects.update_or_create(
            case=case,
            defaults={
                "police_referred_at": None if police_hours is None else case.created_at + timedelta(hours=police_hours),
                "removed_at": None if removed_hours is None else case.created_at + timedelta(hours=removed_hours),
                "first_notice_at": case.created_at if removed_hours is not None else None,
            },
        )
    elif kind == "duplicate":
        Case.objects.filter(pk=case.pk).update(close_reason=CloseReason.DUPLICATE, state=CaseState.CLOSED)
    elif kind == "country":
        Case.objects.filter(pk=case.pk).update(hosting_country=op[2])  # a bulk update: the triggers see it too
    elif kind == "hash_match":
        Case.objects.filter(pk=case.pk).update(hash_list_match=True)


def _rollup_rows() -> tuple[list[tuple[Any, ...]], ...]:
    def rows(model: Any) -> list[tuple[Any, ...]]:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        return sorted(model.objects.values_list(*fields))

    return rows(CaseDay), rows(CaseTally), rows(ReportDay), rows(DurationDay), rows(CaseFact)


def _check_figures() -> None:
    for period in PERIODS:
        assert as_dict(figures(period)) == normalised(direct_figures(period)), period


_REPORT = ("report", 0, Channel.NETWORK, PARTNERS[0], [0])
_ILLEGAL = ("assess", 0, "csam_baseline", True, False, 5, True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, zone=st.sampled_from(ZONES))
# Each path on its own, after a refresh has counted the first state: a bulk update of the hosting country; an
# earlier report arriving late (the case moves to another day, the repeat URL to the other report); a
# reassessment; a late removal; a duplicate mark; a reminder and an escalation; a report at local midnight.
@example(ops=[_REPORT, _ILLEGAL, ("refresh",), ("country", 0, "NL")], zone="UTC")
@example(ops=[_REPORT, ("refresh",), ("report", -30, Channel.WEB, PARTNERS[1], [0])], zone="Europe/Stockholm")
@example(ops=[_REPORT, _ILLEGAL, ("refresh",), ("assess", 0, "not_csam", False, False, 50, True)], zone="UTC")
@example(ops=[_REPORT, _ILLEGAL, ("refresh",), ("timing", 0, 3, 80)], zone="Pacific/Auckland")
@example(ops=[_REPORT, ("refresh",), ("duplicate", 0)], zone="America/New_York")
@example(ops=[_REPORT, ("refresh",), ("refer", 0, Target.HOST_NOTICE, True, False, True, True)], zone="UTC")
@example(ops=[("report", 4, Channel.WEB, PARTNERS[0], None), ("refresh",), ("hash_match", 0)], zone="Europe/Stockholm")
def test_rollups_equal_a_direct_count_after_refreshes_and_after_a_rebuild(
    ops: list[tuple[Any, ...]], zone: str
) -> None:
    analyst = known_staff_user("analyst", email="property-analyst@hotline.example")
    with override_settings(TIME_ZONE=zone):
        try:
            with transaction.atomic():
                for op in ops:
                    _apply(op, analyst)
                rollups.refresh()
                assert not Change.objects.exists()
                _check_figures()
                incremental = _rollup_rows()
                rollups.rebuild()
                assert _rollup_rows() == incremental
                _check_figures()
                assert rollups.refresh() == 0  # nothing left to do: the rebuild left no pending change behind
                raise _RollBack
        except _RollBack:
            pass


def test_a_rolled_back_change_leaves_no_change_row() -> None:
    try:
        with transaction.atomic():
            Report.objects.create(channel=Channel.WEB, kind=ReportKind.ONLINE_MATERIAL)
            assert Change.objects.count() == 1
            raise _RollBack
    except _RollBack:
        pass
    assert not Change.objects.exists()


def test_refresh_twice_changes_nothing_the_second_time() -> None:
    Report.objects.create(channel=Channel.WEB, kind=ReportKind.ONLINE_MATERIAL, received_at=BASE)
    rollups.refresh()
    before = _rollup_rows()
    Change.objects.create(report_id=Report.objects.get().pk)  # the same change seen again
    rollups.refresh()
    assert _rollup_rows() == before
    assert ReportDay.objects.get(whole_month=False).reports == 1
