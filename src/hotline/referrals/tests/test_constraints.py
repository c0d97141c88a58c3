"""A failed delivery can never look sent: the database refuses inconsistent referral rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.cases.factories import make_assessed_case
from hotline.referrals.models import DeliveryAttempt, Referral

pytestmark = pytest.mark.django_db

ABUSE = "abuse@host.example"


def _referral(case: Any, **fields: Any) -> Referral:
    defaults = {"reference": f"R-TEST{Referral.objects.count():05d}", "target": "police", "target_key": "police"}
    return Referral(case=case, **{**defaults, **fields})


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "sent"},  # sent without sent_at
        {"state": "sent", "sent_at": timezone.now(), "last_error": "451 later"},  # sent but last try failed
        {"state": "delivered", "sent_at": timezone.now(), "delivered_at": timezone.now(), "last_error": "x"},
        {"state": "acknowledged", "sent_at": timezone.now(), "delivered_at": timezone.now()},  # no acknowledged_at
        {"state": "failed"},  # failed without an error
        {"state": "failed", "last_error": "boom"},  # failed without failed_at
        {"state": "planned", "sent_at": timezone.now()},
        {"state": "content_removed"},
        {"state": "bogus"},
        {"target": "partner_hotline", "target_key": "partner_hotline:1"},  # partner target without partner
    ],
)
def test_database_refuses_inconsistent_states(fields: dict) -> None:
    case = make_assessed_case(country="BR", abuse_email=ABUSE)
    with pytest.raises(IntegrityError), transaction.atomic():
        _referral(case, **fields).save()


def test_database_refuses_an_ok_attempt_with_an_error_and_a_failed_one_without() -> None:
    case = make_assessed_case(country="BR", abuse_email=ABUSE)
    referral = _referral(case)
    referral.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAttempt.objects.create(referral=referral, number=1, kind="initial", ok=True, error="451")
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAttempt.objects.create(referral=referral, number=2, kind="initial", ok=False, error="")


def test_two_open_referrals_to_the_same_target_are_refused() -> None:
    case = make_assessed_case(country="BR", abuse_email=ABUSE)
    _referral(case).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _referral(case).save()
    # A closed one does not block a new one.
    Referral.objects.filter(case=case).update(state="not_removed", not_removed_at=timezone.now())
    _referral(case).save()
