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
