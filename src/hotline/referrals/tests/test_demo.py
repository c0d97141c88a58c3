"""The demo shows partner hotlines and referrals in every delivery state, and loads only once."""

from __future__ import annotations

import io

import pytest

from hotline.cases.models import CaseState
from hotline.referrals.models import PartnerHotline, Referral, ReferralState, ReferralTiming

pytestmark = pytest.mark.django_db


def test_demo_has_every_state_and_is_idempotent() -> None:
    from hotline.referrals import demo
    from hotline.staff import demo as staff_demo

    out = io.StringIO()
    staff_demo.load(out)
    demo.load(out)
    states = set(Referral.objects.values_list("state", flat=True))
    assert states == set(ReferralState.values)
    assert PartnerHotline.objects.filter(name="Demo hotline NL", referral_email="hotline-nl@partners.example").exists()
    assert Referral.objects.filter(awaiting_clearance=True, state=ReferralState.PLANNED).exists()
    assert Referral.objects.filter(escalated_at__isnull=False, escalation_mailed_at__isnull=False).exists()
    assert Referral.objects.filter(state=ReferralState.FAILED, next_attempt_at__isnull=False).exists()
    assert Referral.objects.filter(target="police", package_sha256__gt="").exists()
    closed = Referral.objects.filter(state=ReferralState.CONTENT_REMOVED).values_list("case__state", flat=True)
    assert {CaseState.MONITORING, CaseState.CLOSED} <= set(closed)
    assert ReferralTiming.objects.filter(removed_at__isnull=False).count() == 2
    counts = (Referral.objects.count(), PartnerHotline.objects.count())
    demo.load(out)
    assert (Referral.objects.count(), PartnerHotline.objects.count()) == counts
    # Reserved names only.
    for referral in Referral.objects.all():
        assert referral.recipient_email == "" or referral.recipient_email.endswith(".example")
        assert referral.case.host.endswith((".example.test", ".example", ".invalid")) or not referral.case.host


def test_the_demo_cases_are_found_by_searching_their_urls() -> None:
    """The demo's reported URLs carry the index intake gives them, so both ways the case search looks
    a URL up (its canonical form, and as reported) find the demo case."""
    from hotline.cases.models import ReportedUrl
    from hotline.cases.selectors import search_cases
    from hotline.core.crypto import IndexPurpose, blind_index
    from hotline.referrals import demo
    from hotline.staff import demo as staff_demo

    out = io.StringIO()
    staff_demo.load(out)
    demo.load(out)
    rows = list(ReportedUrl.objects.all())  # only the referrals demo ran: all of them are its own
    assert len(rows) >= 5
    for row in rows:
        found = search_cases(query=row.url)
        assert found.kind == "url" and [c.pk for c in found.cases] == [row.case_id]
        as_reported = ReportedUrl.objects.filter(url_index=blind_index(row.url, purpose=IndexPurpose.REPORTED_URL))
        assert list(as_reported.values_list("case_id", flat=True)) == [row.case_id]
