"""The two ready-made reports over a small known history: every figure of the quarterly statistics (quarter 1 of
2026) and of the transparency report (2026) against the number it must be, a reassessment and the time zone's
year boundary included."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from hotline.cases.factories import FACTORY_ANALYST, make_assessed_case, store_report
from hotline.cases.models import Assessment, AssessmentStatus, Case, CaseState, CloseReason, ReportedUrl
from hotline.insights.selectors import reports
from hotline.insights.selectors.tables import Table
from hotline.insights.services import rollups
from hotline.referrals.factories import partner_hotline
from hotline.referrals.models import DeliveryChannel, Referral, ReferralState, Target
from hotline.referrals.services.removal import refresh_timing
from hotline.staff.factories import known_staff_user

pytestmark = pytest.mark.django_db

_references = count(1)


def at(month: int, day: int, hour: int = 12, y: int = 2026) -> datetime:
    return datetime(y, month, day, hour, tzinfo=UTC)


def refer(
    case: Case, target: str, *, sent_at: datetime | None, state: str = ReferralState.SENT, **fields: Any
) -> Referral:
    reference = f"R{next(_references)}"
    partner = fields.get("partner")
    key = f"partner_hotline:{partner.pk}" if partner is not None else target
    return Referral.objects.create(reference=reference, case=case, target=target, target_key=key, state=state,
                                   sent_at=sent_at, **fields)  # fmt: skip


@pytest.fixture
def history() -> dict[str, Case]:
    """Quarter 1 of 2026 (Stockholm time): six cases, seven reports; one case in quarter 2."""
    a = make_assessed_case(path="/a", received_at=at(1, 10), country="NL", site_type="image_host",
                           victim_age_group="prepubescent", victim_gender="female", media_types=["image"])  # fmt: skip
    b = make_assessed_case(path="/b", received_at=at(2, 10), verdict="csam_national", country="SE",
                           site_type="forum", victim_age_group="pubescent", victim_gender="male",
                           media_types=["image", "video"], commercial=True)  # fmt: skip
    c = make_assessed_case(path="/c", received_at=at(3, 5), country="NL", site_type="", victim_age_group="",
                           victim_gender="", media_types=[])  # fmt: skip
    d = make_assessed_case(path="/d", received_at=at(3, 6), verdict="not_csam", country="DE")
    e = make_assessed_case(with_url=False, kind="grooming", verdict="", received_at=at(3, 7))
    g = make_assessed_case(path="/g", received_at=at(3, 8), verdict="duplicate", state=CaseState.CLOSED)
    Case.objects.filter(pk=g.pk).update(close_reason=CloseReason.DUPLICATE, duplicate_of=a)
    f = make_assessed_case(path="/f", received_at=at(4, 2), country="SE")  # quarter 2
    # An earlier assessment of A that a reassessment replaced: none of its answers count.
    Assessment.objects.create(case=a, analyst=known_staff_user("analyst", email=FACTORY_ANALYST),
                              verdict="not_csam", kind="online_material", status=AssessmentStatus.SUPERSEDED,
                              site_type="chat", victim_age_group="infant_toddler",
                              created_at=at(1, 9))  # fmt: skip
    # A's URL reported again: one more report, one duplicate report (repeat URL), no new case.
    again = store_report("https://files.example.test/a", received_at=at(2, 20))
    ReportedUrl.objects.filter(report=again).update(case=a)

    network = partner_hotline("Demo hotline NL", code="NL-DEMO", base_url="https://hotline-nl.example.test",
                              channel="network")  # fmt: skip
    email = partner_hotline("Demo hotline DE", countries="DE", email="hotline-de@partners.example")
    refer(a, Target.POLICE, sent_at=at(1, 11))
    refer(b, Target.POLICE, sent_at=at(2, 11))
    refer(d, Target.POLICE, sent_at=None, state=ReferralState.PLANNED)  # never sent: not counted
    refer(f, Target.POLICE, sent_at=at(4, 3))  # a case of quarter 2
    refer(b, Target.PARTNER_HOTLINE, sent_at=at(2, 12), state=ReferralState.DELIVERED, delivered_at=at(2, 12, 13),
          partner=network, channel=DeliveryChannel.NETWORK)  # fmt: skip
    refer(c, Target.PARTNER_HOTLINE, sent_at=at(3, 7), partner=email, channel=DeliveryChannel.EMAIL)
    # Notices to hosting providers (the transparency report counts them by the day they were sent).
    host = {"recipient_name": "Example Hosting Ltd", "recipient_country": "NL"}
    other = {"recipient_name": "Other Host AB", "recipient_country": "SE"}
    refer(a, Target.HOST_NOTICE, sent_at=at(1, 12, 10), state=ReferralState.CONTENT_REMOVED,
          content_removed_at=at(1, 12, 16), **host)  # removed after 6 hours  # fmt: skip
    refer(c, Target.HOST_NOTICE, sent_at=at(3, 6, 0), state=ReferralState.NOT_REMOVED, not_removed_at=at(3, 8, 0),
          notice_count=2, **host)  # not removed after 2 days, reminded once  # fmt: skip
    refer(f, Target.HOST_NOTICE, sent_at=at(4, 3), state=ReferralState.CONTENT_REMOVED,
          content_removed_at=at(4, 4), **other)  # removed after 1 day  # fmt: skip
    refer(b, Target.HOST_NOTICE, sent_at=at(2, 11))  # pending, provider and country not known
    # 23:30 UTC on 31 December 2025 is 00:30 on 1 January 2026 in Stockholm: a notice of 2026, removed in 2 hours.
    refer(d, Target.HOST_NOTICE, sent_at=at(12, 31, 23, y=2025), state=ReferralState.CONTENT_REMOVED,
          content_removed_at=at(1, 1, 1), **other)  # fmt: skip
    # ... and 23:30 UTC on 31 December 2026 is already 2027 there: not a notice of 2026.
    refer(g, Target.HOST_NOTICE, sent_at=at(12, 31, 23), **other)
    refresh_timing(case=a, removed_at=at(1, 12, 16), removal_method="checked_by_analyst")
    rollups.refresh()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def by_code(table: Table, column: str = "value") -> dict[str, Any]:
    index = table.keys.index(column)
    return {str(row[0]): row[index] for row in table.rows}


def test_the_quarterly_summary(history: dict[str, Case]) -> None:
    with translation.override("en"):
        report = reports.quarterly(2026, 1)
    assert report.period.start.isoformat() == "2026-01-01" and report.period.end.isoformat() == "2026-03-31"
    assert report.title == "Quarterly statistics, quarter 1 of 2026"
    assert by_code(report.table("quarterly-summary")) == {
        "reports": 7,
        "urls": 6,
        "duplicate_reports": 1,
        "cases": 6,
        "duplicate_cases": 1,
        "assessed": 5,
        "csam": 3,
        "csam_share": 0.6,
        "other": 2,
        "other_share": 0.4,
    }


def test_the_quarterly_types_verdicts_and_hosting(history: dict[str, Case]) -> None:
    with translation.override("en"):
        report = reports.quarterly(2026, 1)
    types = report.table("quarterly-report-types")
    assert types.rows == [
        ["online_material", "Material on the internet", 5, 0.8333],
        ["grooming", "Grooming", 1, 0.1667],
    ]
    verdicts = report.table("quarterly-verdicts")
    assert by_code(verdicts, "count") == {"csam_baseline": 2, "csam_national": 1, "not_csam": 1, "duplicate": 1}
    assert by_code(verdicts, "share") == {"csam_baseline": 0.4, "csam_national": 0.2, "not_csam": 0.2, "duplicate": 0.2}
    hosting = report.table("quarterly-hosting")
    assert hosting.rows == [["NL", "Netherlands", 2, 0.6667], ["SE", "Sweden", 1, 0.3333]]


def test_the_quarterly_subtypes_and_site_types_read_the_latest_assessment(history: dict[str, Case]) -> None:
    with translation.override("en"):
        report = reports.quarterly(2026, 1)
    assert by_code(report.table("quarterly-subtypes"), "count") == {
        "age_group:prepubescent": 1,
        "age_group:pubescent": 1,
        "age_group:": 1,
        "gender:female": 1,
        "gender:male": 1,
        "gender:": 1,
        "media:image": 2,
        "media:video": 1,
        "media:": 1,
        "commercial:yes": 1,
        "commercial:no": 2,
    }
    words = by_code(report.table("quarterly-subtypes"))
    assert words["age_group:"] == "Not recorded" and words["media:video"] == "Video"
    assert report.table("quarterly-site-types").rows == [
        ["forum", "Forum", 1, 0.3333],
        ["image_host", "Image host", 1, 0.3333],
        ["", "Not recorded", 1, 0.3333],
    ]


def test_the_quarterly_actions(history: dict[str, Case]) -> None:
    with translation.override("en"):
        report = reports.quarterly(2026, 1)
    actions = report.table("quarterly-actions")
    assert {row[0]: (row[2], row[3]) for row in actions.rows} == {
        "police": (2, 2),
        "hosting_provider": (5, 5),  # every notice about a case of the quarter, also the one sent in December
        "partner_hotline": (2, 2),
        "partner_hotline_network": (1, 1),
        "partner_hotline_email": (1, 1),
        "removed": (1, None),
    }
    assert report.table("quarterly-partners").rows == [["Demo hotline DE", 1], ["Demo hotline NL", 1]]


def test_the_second_quarter_holds_only_its_own_case(history: dict[str, Case]) -> None:
    report = reports.quarterly(2026, 2)
    summary = by_code(report.table("quarterly-summary"))
    assert (summary["reports"], summary["cases"], summary["csam"], summary["duplicate_reports"]) == (1, 1, 1, 0)
    actions = {row[0]: row[2] for row in report.table("quarterly-actions").rows}
    assert (actions["police"], actions["hosting_provider"], actions["partner_hotline"]) == (1, 1, 0)


def test_the_transparency_summary(history: dict[str, Case]) -> None:
    with translation.override("en"):
        report = reports.transparency(2026)
    assert report.title == "Notice-and-action transparency report 2026"
    assert by_code(report.table("transparency-summary")) == {
        "notices": 5,
        "cases": 5,
        "reminded": 1,
        "removed": 3,
        "not_removed": 1,
        "pending": 1,
        "removed_share": 0.6,
        "median_seconds_to_removal": 6 * 3600,  # of 2 h, 6 h and 1 day
        "removals_measured": 3,
        "median_seconds_to_action": 6 * 3600,  # of 2 h, 6 h, 1 day and 2 days (nearest rank: the second)
        "actions_measured": 4,
        "partner_forwards": 2,
    }


def test_the_transparency_tables(history: dict[str, Case]) -> None:
    with translation.override("en"):
        report = reports.transparency(2026)
    assert report.table("transparency-actions").rows == [
        ["removed", "Removed", 3, 0.6],
        ["not_removed", "Not removed", 1, 0.2],
        ["pending", "Pending (no action recorded yet)", 1, 0.2],
    ]
    assert report.table("transparency-providers").rows == [
        ["Example Hosting Ltd", "NL", "Netherlands", 2, 1, 1, 0],
        ["Other Host AB", "SE", "Sweden", 2, 2, 0, 0],
        ["Not recorded", "", "Unknown", 1, 0, 0, 1],
    ]
    assert report.table("transparency-countries").rows == [
        ["NL", "Netherlands", 2, 1, 1, 0],
        ["SE", "Sweden", 2, 2, 0, 0],
        ["", "Unknown", 1, 0, 0, 1],
    ]
    assert report.table("transparency-content").rows == [
        ["csam_baseline", "Illegal everywhere (INTERPOL baseline)", 3, 2, 1, 0],
        ["csam_national", "Illegal under national law", 1, 0, 0, 1],
        ["not_csam", "Not child sexual abuse material", 1, 1, 0, 0],
    ]


def test_the_year_before_and_after_hold_the_notices_of_their_own_days(history: dict[str, Case]) -> None:
    assert by_code(reports.transparency(2025).table("transparency-summary"))["notices"] == 0
    later = by_code(reports.transparency(2027).table("transparency-summary"))
    assert (later["notices"], later["pending"], later["median_seconds_to_removal"]) == (1, 1, None)


def test_an_empty_period_has_no_shares_and_no_medians() -> None:
    quarterly = by_code(reports.quarterly(2030, 1).table("quarterly-summary"))
    assert quarterly["reports"] == 0 and quarterly["csam_share"] is None
    summary = by_code(reports.transparency(2030).table("transparency-summary"))
    assert summary["notices"] == 0 and summary["removed_share"] is None and summary["median_seconds_to_action"] is None


def test_a_removal_recorded_before_the_notice_counts_as_no_time() -> None:
    case = make_assessed_case(path="/early", received_at=at(5, 1))
    refer(case, Target.HOST_NOTICE, sent_at=at(5, 2), state=ReferralState.CONTENT_REMOVED,
          content_removed_at=at(5, 1, 18))  # fmt: skip
    assert by_code(reports.transparency(2026).table("transparency-summary"))["median_seconds_to_removal"] == 0


def test_a_late_removal_changes_the_quarter_after_a_refresh(history: dict[str, Case]) -> None:
    b = history["b"]
    Referral.objects.filter(case=b).exclude(target=Target.POLICE).update(
        state=ReferralState.CONTENT_REMOVED, content_removed_at=at(5, 1)
    )
    refresh_timing(case=b, removed_at=at(5, 1), removal_method="checked_by_analyst")
    rollups.refresh()
    actions = {row[0]: row[2] for row in reports.quarterly(2026, 1).table("quarterly-actions").rows}
    assert actions["removed"] == 2


def test_the_reports_ask_the_database_the_same_number_of_times_whatever_the_data(history: dict[str, Case]) -> None:
    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as quarterly:
            reports.quarterly(2026, 1)
        with CaptureQueriesContext(connection) as transparency:
            reports.transparency(2026)
        return len(quarterly), len(transparency)

    before = queries()
    for n in range(5):
        case = make_assessed_case(path=f"/more/{n}", received_at=at(2, 1 + n), country="FI", site_type="blog")
        refer(case, Target.HOST_NOTICE, sent_at=at(2, 2 + n), state=ReferralState.CONTENT_REMOVED,
              content_removed_at=at(2, 3 + n), recipient_name=f"Host {n}", recipient_country="FI")  # fmt: skip
    rollups.refresh()
    assert queries() == before
    assert by_code(reports.transparency(2026).table("transparency-summary"))["notices"] == 10
