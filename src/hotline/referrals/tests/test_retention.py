"""Retention in referrals: the referrals of an anonymised case lose their stored package and free text at the next
run; the referrals of every other case keep theirs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from hotline.cases.factories import make_assessed_case as make_case
from hotline.cases.services import transition_case
from hotline.core import retention
from hotline.core.models import AuditEntry
from hotline.referrals.models import Referral
from hotline.referrals.tests.conftest import TASKS_DB, confirm

pytestmark = TASKS_DB


def test_referrals_of_an_anonymised_case_are_blanked_and_no_others(
    staff_client: Any, run_tasks: Any, settings: Any
) -> None:
    client = staff_client("analyst")
    gone = make_case(host="files.example.test", path="/r/1", country="SE", abuse_email="abuse@host.example")
    kept = make_case(host="other.example.test", path="/r/2", country="SE", abuse_email="abuse@host.example")
    for case in (gone, kept):
        confirm(client, case)
    run_tasks()
    Referral.objects.update(adjust_reason="The analyst's reason.", last_error="")
    gone.refresh_from_db()
    transition_case(case=gone, to_state="closed", actor="test", close_reason="removed")
    assert retention.run_policy("referrals.of_anonymised_cases").count == 0  # no case anonymised yet
    settings.HOTLINE_CASE_ILLEGAL_REMOVED_RETENTION_DAYS = 30
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert retention.run_policy("cases.illegal_removed").count == 1
        assert retention.run_policy("referrals.of_anonymised_cases").count == Referral.objects.filter(case=gone).count()
        assert retention.run_policy("referrals.of_anonymised_cases").count == 0  # once
    for referral in Referral.objects.filter(case=gone):
        assert (referral.package, referral.adjust_reason, referral.not_removed_reason) == ("", "", "")
        assert referral.recipient_email or referral.target == "police"  # who it went to stays
    police = Referral.objects.get(case=gone, target="police")
    assert police.package_sha256  # the record of what was handed over stays
    assert all(r.adjust_reason for r in Referral.objects.filter(case=kept))
    assert Referral.objects.get(case=kept, target="police").package
    entry = AuditEntry.objects.get(action="referral.anonymised")
    assert entry.details["policy"] == "referrals.of_anonymised_cases"
