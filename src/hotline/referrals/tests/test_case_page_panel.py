"""Referrals answer the cases app's hooks: the case page lists the case's referrals and links to its plan, and
the timeline names referral steps (moved here from the cases tests, which no longer know referrals exist)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from hotline.cases import services
from hotline.cases.factories import store_report
from hotline.cases.models import Case, CaseEvent
from hotline.cases.selectors import case_page

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/album/42"


@pytest.fixture
def case() -> Case:
    services.triage_report(report_id=store_report(URL).pk)
    return Case.objects.get(url_index__isnull=False)


def test_referrals_block_links_to_the_referrals_page(case: Case, staff_client: Any) -> None:
    body = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/referrals/"' in body
    section = body.split('id="referrals-heading"')[1].split("</section>")[0]
    assert "/referrals/" in section
    # after the status-only close form and before the related cases, as before the hooks
    assert body.index('id="close-heading"') < body.index('id="referrals-heading"') < body.index('id="related-heading"')


def test_the_timeline_names_referral_steps(case: Case, staff_client: Any) -> None:
    from django.db import transaction

    with transaction.atomic():
        services.record_case_event(case_id=case.pk, kind="referral", details={"action": "resent", "referral": 1})
    with translation.override("en"):
        entry = next(e for e in case_page(case=case).timeline if e.kind == "referral")
    assert (entry.kind_label, entry.action_label) == ("Referral:", "sent again")
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    timeline = client.get(f"/cases/{case.pk}/").content.decode().split('id="timeline"')[1]
    assert "Referral: sent again" in timeline
    assert CaseEvent.objects.get(kind="referral").actor is None
