"""Retention: signers' names and emails go N months after the petition closes; counts per municipality stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from hotline.campaigns import export_files, selectors, services
from hotline.campaigns.models import ExportState, Petition, PetitionExport, Signature, SignatureState
from hotline.core import scheduler
from hotline.core import tasks as core_tasks
from hotline.core.models import AuditEntry

# run_tasks uses the real worker, which closes a connection it finds inside a transaction (on
# PostgreSQL, the test's own), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def _fill(petition: Petition, actor: Any) -> None:
    for n, municipality in enumerate(["0180", "0180", "1480", "abroad"]):
        services.add_verified_signature(
            petition=petition,
            name=f"Person {n}",
            email=f"p{n}@example.test",
            municipality=municipality,
            country="DK" if municipality == "abroad" else "",
            actor=actor,
        )
    services.sign_petition(petition=petition, name="Never Confirmed", email="late@example.test", municipality="0380")


def test_erased_six_months_after_closing_by_the_periodic_task(
    petition: Petition,
    make_staff: Any,
    run_tasks: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.HOTLINE_CAMPAIGN_EXPORT_DIR = str(tmp_path)
    actor = make_staff("campaigner")
    _fill(petition, actor)
    export = services.request_export(petition=petition, kind="csv", actor=actor)
    run_tasks()
    before = [(p.label, p.count) for p in selectors.counts_by_place(petition)]
    assert before == [("Stockholm", 2), ("Danmark", 1), ("Göteborg", 1)]
    closed_at = timezone.now()
    services.close_petition(petition=petition, actor=actor)

    with time_machine.travel(closed_at + timedelta(days=180)):
        assert services.erase_due_petitions() == []  # 6 calendar months have not passed yet
    with time_machine.travel(closed_at + timedelta(days=185)), django_capture_on_commit_callbacks(execute=True):
        job = scheduler.REGISTRY["hotline.core.tasks.apply_retention"]  # runs the policy campaigns.petition_signers
        assert job.every <= timedelta(hours=6)  # the worker's scheduler enqueues it that often
        job.task.enqueue()
        run_tasks()

    petition.refresh_from_db()
    assert petition.personal_data_erased_at is not None
    assert petition.signature_count == 4
    assert Signature.objects.filter(state=SignatureState.PENDING).count() == 0
    for signature in Signature.objects.all():
        assert (signature.name, signature.email, signature.email_index, signature.email_domain) == ("", "", "", "")
    assert [(p.label, p.count) for p in selectors.counts_by_place(petition)] == before
    assert PetitionExport.objects.get().state == ExportState.DELETED
    assert not export_files.path_of(export).exists()
    assert AuditEntry.objects.get(action="petition.personal_data_erased").details["signatures_blanked"] == 4


def test_retention_months_setting(petition: Petition, make_staff: Any, settings: Any) -> None:
    settings.HOTLINE_PETITION_RETENTION_MONTHS = 1
    services.close_petition(petition=petition, actor=make_staff("campaigner"))
    with time_machine.travel(timezone.now() + timedelta(days=32)):
        assert services.erase_due_petitions() == [petition.pk]
        assert services.erase_due_petitions() == []  # once


def test_open_petitions_are_never_erased(petition: Petition, make_staff: Any) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert services.erase_due_petitions() == []
    with pytest.raises(services.NotAllowed):
        services.erase_petition_personal_data(petition=petition, actor=make_staff("campaigner"))


def test_campaigner_can_erase_early_after_hand_over(staff_client: Any, petition: Petition) -> None:
    campaigner = staff_client("campaigner")
    _fill(petition, campaigner.user)
    services.close_petition(petition=petition, actor=campaigner.user)
    url = f"/campaigns/petitions/{petition.pk}/erase/"
    campaigner.post(url)  # without the confirmation box: nothing happens
    assert all(s.name for s in Signature.objects.filter(state=SignatureState.CONFIRMED))
    campaigner.post(url, {"confirm": "erase", "confirmed": "yes"})
    assert not any(s.name or s.email for s in Signature.objects.all())


def test_unconfirmed_signatures_are_deleted_after_a_week(petition: Petition, run_tasks: Any) -> None:
    services.sign_petition(petition=petition, name="A", email="a@example.test", municipality="0180")
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert services.delete_stale_pending_signatures() == 0
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        core_tasks.apply_retention.enqueue()
        run_tasks()
    assert Signature.objects.count() == 0


def test_old_export_files_are_deleted(
    petition: Petition,
    make_staff: Any,
    run_tasks: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.HOTLINE_CAMPAIGN_EXPORT_DIR = str(tmp_path)
    export = services.request_export(petition=petition, kind="csv", actor=make_staff("campaigner"))
    run_tasks()
    assert export_files.path_of(export).exists()
    with time_machine.travel(timezone.now() + timedelta(days=31)), django_capture_on_commit_callbacks(execute=True):
        assert services.delete_old_exports() == 1
    assert not export_files.path_of(export).exists()
