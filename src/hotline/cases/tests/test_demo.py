"""Demo data: a realistic queue on reserved names, several states, safe to load twice."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from hotline.cases import demo
from hotline.cases.models import Assessment, AssessmentStatus, Case, CaseState, Report, ReportedUrl

pytestmark = pytest.mark.django_db

RESERVED = re.compile(
    r"^(https?|ftp)://[^/]*(\.example\.test|\.example|\.example\.invalid|198\.51\.100\.\d+|ämple\.test)(/|$)",
    re.IGNORECASE,
)


def load_all() -> None:
    from hotline.staff import demo as staff_demo

    staff_demo.load(io.StringIO())
    demo.load(io.StringIO())


def test_demo_builds_a_queue_in_several_states() -> None:
    load_all()
    states = set(Case.objects.values_list("state", flat=True))
    assert {CaseState.TRIAGED, CaseState.IN_ASSESSMENT, CaseState.ASSESSED, CaseState.CLOSED} <= states
    assert Report.objects.filter(triaged_at=None).count() == 0
    album = Case.objects.filter(host="files.example.test", report_count__gte=3)
    assert album.count() == 1  # three spellings of one URL: one case
    assert Assessment.objects.filter(status=AssessmentStatus.AWAITING_REVIEW).count() == 2
    assert Case.objects.exclude(url_problem="").count() == 1
    assert Case.objects.filter(url_index=None, url_problem="").count() == 3  # situation reports
    assert Case.objects.filter(events__kind="seen_again").exists()


def test_demo_uses_reserved_names_only() -> None:
    load_all()
    for reported in ReportedUrl.objects.all():
        assert RESERVED.match(reported.url), reported.url


def test_demo_is_idempotent() -> None:
    load_all()
    counts = (Report.objects.count(), Case.objects.count(), Assessment.objects.count())
    out = io.StringIO()
    demo.load(out)
    assert (Report.objects.count(), Case.objects.count(), Assessment.objects.count()) == counts
    assert "already" in out.getvalue()


def test_demo_queue_page_renders(staff_client: Any) -> None:
    load_all()
    client = staff_client("analyst")
    body = client.get("/cases/").content.decode()
    assert body.count('href="/cases/') >= 10
    for case in Case.objects.all():
        assert client.get(f"/cases/{case.pk}/").status_code == 200
