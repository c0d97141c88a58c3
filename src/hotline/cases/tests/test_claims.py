"""Claiming: one analyst per case (row lock), expiry after HOTLINE_CLAIM_MINUTES, release."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from hotline.cases import services
from hotline.cases.conf import claim_duration
from hotline.cases.models import Case, CaseState
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "https://files.example.test/claim/1"


@pytest.fixture
def case(triaged_case: Any) -> Case:
    return triaged_case(URL)


def test_claim_and_the_second_analyst_is_refused(case: Case, make_staff: Any) -> None:
    johan, sara = make_staff("analyst"), make_staff("analyst")
    services.claim_case(case=case, analyst=johan)
    assert case.claimed_by == johan and case.claimed_until > timezone.now()
    with pytest.raises(services.CaseClaimed):
        services.claim_case(case=case, analyst=sara)
    case.refresh_from_db()
    assert case.claimed_by == johan
    assert AuditEntry.objects.filter(action="case.claimed", object_id=str(case.pk)).count() == 1
    assert case.events.filter(kind="claimed").count() == 1


def test_claiming_again_renews(case: Case, make_staff: Any) -> None:
    johan = make_staff("analyst")
    services.claim_case(case=case, analyst=johan)
    first_until = case.claimed_until
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        services.claim_case(case=case, analyst=johan)
    assert case.claimed_until > first_until
    assert case.events.filter(kind="claimed").count() == 1  # a renewal is not a new timeline entry


def test_claims_expire_after_the_configured_time(case: Case, make_staff: Any, settings: Any) -> None:
    settings.HOTLINE_CLAIM_MINUTES = 15
    assert claim_duration() == timedelta(minutes=15)
    johan, sara = make_staff("analyst"), make_staff("analyst")
    services.claim_case(case=case, analyst=johan)
    with time_machine.travel(timezone.now() + timedelta(minutes=14)), pytest.raises(services.CaseClaimed):
        services.claim_case(case=case, analyst=sara)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert case.claim_holder() is None
        services.claim_case(case=case, analyst=sara)
    assert case.claimed_by == sara


def test_default_claim_time_is_an_hour(settings: Any) -> None:
    assert claim_duration() == timedelta(minutes=60)


def test_release_by_holder_or_supervisor_only(case: Case, make_staff: Any) -> None:
    johan, sara, boss = make_staff("analyst"), make_staff("analyst"), make_staff("supervisor")
    services.claim_case(case=case, analyst=johan)
    with pytest.raises(services.CaseClaimed):
        services.release_case(case=case, actor=sara)
    services.release_case(case=case, actor=johan)
    assert case.claimed_by is None
    services.claim_case(case=case, analyst=sara)
    services.release_case(case=case, actor=boss)
    assert case.claimed_by is None
    with pytest.raises(services.CaseError):
        services.release_case(case=case, actor=boss)


def test_a_closed_case_cannot_be_claimed(case: Case, make_staff: Any) -> None:
    services.transition_case(case=case, to_state=CaseState.CLOSED, actor="system", close_reason="duplicate")
    with pytest.raises(services.CaseError):
        services.claim_case(case=case, analyst=make_staff("analyst"))


def test_claim_views(case: Case, staff_client: Any) -> None:
    johan, sara = staff_client("analyst"), staff_client("analyst")
    assert johan.get(f"/cases/{case.pk}/claim/").status_code == 405
    response = johan.post(f"/cases/{case.pk}/claim/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    refused = sara.post(f"/cases/{case.pk}/claim/")
    assert refused.status_code == 409
    assert str(johan.user) in refused.content.decode()
    assert sara.post(f"/cases/{case.pk}/release/").status_code == 409
    assert johan.post(f"/cases/{case.pk}/release/").status_code == 302
    assert johan.post("/cases/999999/claim/").status_code == 404


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "SQLite: BEGIN IMMEDIATE serialises the two claims in the database itself (the second waits for the "
        "first to commit, then sees its claim); pytest's in-memory SQLite cannot serve two writing threads. "
        "The row lock (SELECT ... FOR UPDATE) is exercised on PostgreSQL."
    ),
)
@pytest.mark.django_db(transaction=True)
def test_two_analysts_claiming_at_the_same_moment_from_two_connections(triaged_case: Any, make_staff: Any) -> None:
    case = triaged_case(URL)
    analysts = [make_staff("analyst"), make_staff("analyst")]
    for _round in range(5):  # several rounds: the interleaving differs each time
        Case.objects.filter(pk=case.pk).update(claimed_by=None, claimed_until=None)
        barrier = threading.Barrier(2, timeout=10)
        won: list[int] = []
        refused: list[int] = []
        errors: list[BaseException] = []

        def claim(analyst: Any) -> None:
            try:
                barrier.wait()
                services.claim_case(case=Case.objects.get(pk=case.pk), analyst=analyst)
                won.append(analyst.pk)
            except services.CaseClaimed:
                refused.append(analyst.pk)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=claim, args=(a,)) for a in analysts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert len(won) == 1 and len(refused) == 1
        case.refresh_from_db()
        assert case.claimed_by_id == won[0]
