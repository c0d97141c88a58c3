"""Demo casework for `make run`: made-up reports on reserved names, triaged by the real service, in several
states with assessments. Idempotent: each demo report has a fixed public id and is created once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.cases import factories, services
from hotline.cases.models import Case, CaseEvent, CaseState, Channel, NexusHint, Report, ReportKind
from hotline.cases.services import AssessmentInput
from hotline.staff.models import StaffUser

NAMESPACE = uuid.UUID("5b0f3c1e-8a61-4c55-9a1e-2f4f0c7d9e10")


@dataclass(frozen=True)
class DemoReport:
    key: str
    hours_ago: float
    urls: tuple[str, ...] = ()
    channel: str = Channel.WEB
    kind: str = ReportKind.ONLINE_MATERIAL
    source_name: str = ""
    description: str = ""
    classification: str = ""
    nexus: dict[str, str] = field(default_factory=dict)


REPORTS: list[DemoReport] = [
    DemoReport(
        "album-web",
        30,
        ("https://files.example.test/album/7f3a?utm_source=chat",),
        description="Link shared in a group chat; the reporter says the album shows abuse material of children.",
        classification="Images of children",
    ),
    DemoReport(
        "album-share",
        20,
        ("https://FILES.example.test/album/7f3a#photo-3",),
        channel=Channel.SHARE,
        classification="child_sexual_posing",  # as the public form stores its choice
    ),
    DemoReport(
        "album-api",
        6,
        ("https://files.example.test/album/7f3a",),
        channel=Channel.API,
        source_name="Safe Report app (demo operator)",
    ),
    DemoReport(
        "partner-forward",
        3,
        ("http://img-host.example/g/20931",),
        channel=Channel.NETWORK,
        source_name="Partner hotline NL (demo)",
        description="Forwarded by a partner hotline: hosted in our country according to their trace.",
    ),
    DemoReport(
        "grooming",
        2,
        kind=ReportKind.GROOMING,
        description="An adult keeps contacting the reporter's 12-year-old in a game chat and asks for photos.",
        nexus={"nexus_victim": NexusHint.YES},
    ),
    DemoReport(
        "trafficking",
        26,
        kind=ReportKind.TRAFFICKING,
        description="An advert on a classifieds site seems to offer a minor; the reporter saw it in a Swedish city.",
        nexus={"nexus_place": NexusHint.YES, "nexus_victim": NexusHint.YES},
    ),
    DemoReport(
        "sextortion",
        1,
        kind=ReportKind.SEXTORTION,
        description="A teenager is being asked for money after sharing a picture; the reporter is a parent.",
        nexus={"nexus_victim": NexusHint.YES},
    ),
    DemoReport(
        "forum",
        50,
        ("https://board.forum.example/t/5512/page-2", "https://board.forum.example/t/5512/page-3"),
        description="Thread with links to file hosts; the reporter did not open them.",
    ),
    DemoReport("video", 12, ("https://video.example/watch?v=demo123&fbclid=abc",), classification="Video"),
    DemoReport("ip-host", 8, ("http://198.51.100.23/gallery/index.html",)),
    DemoReport("idn-host", 9, ("https://bilder.exämple.test/a/1",), channel=Channel.BOOKMARK),
    DemoReport("old-ftp", 96, ("ftp://files.example.test/archive/",), description="An old report with a non-web link."),
    DemoReport("overdue", 100, ("https://cdn.img-host.example/p/88210.html",)),
    DemoReport("model-site", 40, ("https://modelling.example/portfolio/18",), classification="Posing pictures"),
    DemoReport("gone", 60, ("https://files.example.test/album/9c11",)),
    DemoReport("duplicate-of-album", 16, ("https://files.example.test/album/7f3a/",)),
    DemoReport("closed-then-seen", 200, ("https://img-host.example/g/1002",)),
    DemoReport("seen-again", 4, ("https://img-host.example/g/1002?utm_medium=reshare",), channel=Channel.SHARE),
    DemoReport("blog", 14, ("https://blog.example.invalid/2026/03/entry",), channel=Channel.STAFF),
    DemoReport("national", 22, ("https://board.forum.example/t/6001",), nexus={"nexus_offender": NexusHint.YES}),
]


def _public_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


def _store(item: DemoReport, now: datetime) -> tuple[Report, bool]:
    existing = Report.objects.filter(public_id=_public_id(item.key)).first()
    if existing is not None:
        return existing, False
    report = factories.store_report(
        *item.urls,
        public_id=_public_id(item.key),
        received_at=now - timedelta(hours=item.hours_ago),
        channel=item.channel,
        source_name=item.source_name,
        kind=item.kind,
        description=item.description,
        reporter_classification=item.classification,
        **item.nexus,
    )
    return report, True


def _case_of(report: Report) -> Case:
    if report.situation_case_id:
        return Case.objects.get(pk=report.situation_case_id)
    reported = report.urls.exclude(case=None).order_by("position").first()
    assert reported is not None and reported.case is not None
    return reported.case


def _backdate(case: Case, when: datetime) -> None:
    """Demo only: make a case look as if it had waited since `when` (so the overdue list has entries)."""
    Case.objects.filter(pk=case.pk).update(state_changed_at=when)
    CaseEvent.objects.filter(case=case, kind="transition", to_state=case.state).update(at=when)


def _staff(email: str) -> StaffUser | None:
    return StaffUser.objects.filter(email=email).first()


def load(stdout: Any) -> None:
    now = timezone.now()
    created = 0
    with transaction.atomic():
        reports: dict[str, Report] = {}
        for item in REPORTS:
            report, new = _store(item, now)
            reports[item.key] = report
            created += int(new)
            if item.key == "seen-again" and new:
                # The earlier case of this URL was closed as removed before this report came in.
                closed = _case_of(reports["closed-then-seen"])
                if closed.state != CaseState.CLOSED:
                    services.transition_case(
                        case=closed, to_state=CaseState.CLOSED, actor="demo_data", close_reason="removed"
                    )
            services.triage_report(report_id=report.pk)
        if not created:
            stdout.write("Demo cases already there.")
            return

        analyst = _staff("analyst@hotline.example")
        analyst2 = _staff("analyst2@hotline.example")
        if analyst is None or analyst2 is None:
            stdout.write(f"Demo cases: {created} reports triaged (no demo analysts, so no assessments).")
            return
        factories.claim_and_assess(
            _case_of(reports["partner-forward"]),
            analyst,
            AssessmentInput(
                verdict="csam_baseline",
                kind=ReportKind.ONLINE_MATERIAL,
                media_types=["image"],
                image_count=24,
                victim_age_group="prepubescent",
                victim_gender="female",
                site_type="image_host",
                nexus_server=True,
                reasoning="Made-up demo assessment: baseline material as described by the partner hotline.",
            ),
        )
        factories.claim_and_assess(
            _case_of(reports["model-site"]),
            analyst2,
            AssessmentInput(
                verdict="harmful_not_illegal",
                kind=ReportKind.ONLINE_MATERIAL,
                media_types=["image"],
                image_count=40,
                victim_age_group="pubescent",
                site_type="website",
                commercial=True,
                payment_indicators="Made-up demo: the site names a card payment page.",
                reasoning="Made-up demo assessment: posing pictures, no sexual content; waits for four-eyes.",
            ),
        )
        factories.claim_and_assess(
            _case_of(reports["video"]),
            analyst,
            AssessmentInput(
                verdict="csam_national",
                kind=ReportKind.ONLINE_MATERIAL,
                media_types=["video"],
                video_count=1,
                site_type="video_platform",
                reasoning="Made-up demo assessment: illegal under national law; waits for four-eyes.",
            ),
        )
        gone = _case_of(reports["gone"])
        services.close_case(case=gone, actor=analyst2, reason="unreachable", expected_version=gone.version)
        dup = _case_of(reports["duplicate-of-album"])
        album = _case_of(reports["album-web"])
        if dup.pk != album.pk and dup.state != CaseState.CLOSED:
            services.close_case(
                case=dup, actor=analyst, reason="duplicate", expected_version=dup.version, duplicate_of=album.pk
            )
        services.claim_case(case=_case_of(reports["forum"]), analyst=analyst2)
        services.add_note(
            case=album, author=analyst, text="Made-up demo note: three reporters, waiting for the hosting trace."
        )
        overdue = _case_of(reports["overdue"])
        _backdate(overdue, now - timedelta(hours=100))
    stdout.write(f"Demo cases: {created} reports triaged into {Case.objects.count()} cases.")
