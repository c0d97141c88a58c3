"""The police package: PDF summary + case JSON in a ZIP, its SHA-256 in the audit log, download or email."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from hotline.cases.factories import make_assessed_case
from hotline.core.models import AuditEntry
from hotline.referrals.models import Referral, ReferralState
from hotline.referrals.package import build_police_package
from hotline.referrals.tests.conftest import TASKS_DB, confirm

pytestmark = TASKS_DB


def police_for(case: Any) -> Referral:
    return Referral.objects.get(case=case, target="police")


def open_zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_download_channel_builds_the_package_and_records_its_hash(staff_client: Any, run_tasks: Any) -> None:
    case = make_assessed_case(host="files.example.test", path="/x/1", country="SE", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    referral = police_for(case)
    assert referral.state == ReferralState.SENT and referral.channel == "download"
    built = AuditEntry.objects.get(action="referral.package_built", object_id=str(referral.pk))
    assert built.details["sha256"] == referral.package_sha256
    assert AuditEntry.objects.filter(action="referral.sent", details__package_sha256=referral.package_sha256).exists()
    # The package is encrypted at rest: the stored column is not the ZIP.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT package FROM referrals_referral WHERE id = %s", [referral.pk])
        assert cursor.fetchone()[0].startswith("enc1:")

    assert referral.reference in client.get("/referrals/").content.decode()  # waiting for download
    response = client.post(f"/referrals/{referral.pk}/package/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert hashlib.sha256(response.content).hexdigest() == referral.package_sha256 == response["X-Package-SHA256"]
    files = open_zip(response.content)
    json_name, pdf_name = f"case-{referral.reference}.json", f"summary-{referral.reference}.pdf"
    assert set(files) == {json_name, pdf_name, "manifest.json"}
    assert files[pdf_name].startswith(b"%PDF")
    data = json.loads(files[json_name])
    assert data["case"]["canonical_url"] == "https://files.example.test/x/1"
    assert data["assessment"]["verdict"] == "csam_baseline"
    assert data["hosting"]["country"] == "SE" and data["hosting"]["ips"] == ["192.0.2.10"]
    assert data["reports"][0]["reporter_left_contact_details"] is True
    assert "reporter@example.test" not in files[json_name].decode()  # never the reporter's contact
    manifest = json.loads(files["manifest.json"])
    assert manifest["sha256"][pdf_name] == hashlib.sha256(files[pdf_name]).hexdigest()
    assert built.details["files"] == manifest["sha256"]

    # The analyst's download is an audited copy: only the police liaison's collection delivers it (issue 19).
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT and referral.delivered_at is None
    downloaded = AuditEntry.objects.get(action="referral.package_downloaded")
    assert downloaded.actor == client.user and downloaded.details["sha256"] == referral.package_sha256
    assert staff_client("police_liaison").post(f"/referrals/{referral.pk}/package/").status_code == 200
    referral.refresh_from_db()
    assert referral.state == ReferralState.DELIVERED and referral.delivered_at is not None
    # A GET never hands out the package; other roles are refused.
    assert client.get(f"/referrals/{referral.pk}/package/").status_code == 405
    assert staff_client("campaigner").post(f"/referrals/{referral.pk}/package/").status_code == 403

    assert client.post(f"/referrals/{referral.pk}/acknowledged/", {"evidence": "police_receipt"}).status_code == 302
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACKNOWLEDGED


def mailed_to_police(staff_client: Any, run_tasks: Any, settings: Any) -> tuple[Any, Referral]:
    """A situation case confirmed for the police, with the package sent by email (HOTLINE_POLICE_CHANNEL)."""
    settings.HOTLINE_POLICE_CHANNEL = "email"
    settings.HOTLINE_POLICE_EMAIL = "referrals@police.example"
    case = make_assessed_case(kind="trafficking", verdict="not_csam", with_url=False)
    confirm(staff_client("analyst"), case)
    run_tasks()
    return case, police_for(case)


def test_email_channel_sends_the_package_with_its_hash(
    staff_client: Any, run_tasks: Any, smtp_server: Any, settings: Any
) -> None:
    case, referral = mailed_to_police(staff_client, run_tasks, settings)
    assert referral.state == ReferralState.SENT and referral.recipient_email == "referrals@police.example"
    (message,) = smtp_server.messages
    assert message["To"] == "referrals@police.example"
    (part,) = [p for p in message.walk() if p.get_filename()]
    content = part.get_payload(decode=True)
    assert part.get_content_type() == "application/zip"
    assert hashlib.sha256(content).hexdigest() == referral.package_sha256
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain" and not p.get_filename())
    assert referral.package_sha256 in body.get_payload(decode=True).decode()
    data = json.loads(open_zip(content)[f"case-{referral.reference}.json"])
    assert data["case"]["canonical_url"] == "" and data["reports"][0]["description"]
    # Time from report to police referral is recorded for statistics.
    timing = case.referral_timing
    assert timing.police_referred_at == referral.sent_at and timing.report_to_police_seconds is not None


def test_email_channel_without_an_address_is_refused(staff_client: Any, settings: Any) -> None:
    settings.HOTLINE_POLICE_CHANNEL = "email"
    case = make_assessed_case(kind="grooming", verdict="not_csam", with_url=False)
    response = confirm(staff_client("analyst"), case)
    assert response.status_code == 400 and "HOTLINE_POLICE_EMAIL" in response.content.decode()
    assert not Referral.objects.exists()


def test_package_bytes_are_reproducible_and_the_pdf_is_readable() -> None:
    data = {
        "reference": "R-TEST",
        "organisation": "Hotline",
        "case": {"id": 1, "canonical_url": "https://files.example.test/<b>&", "kind": "online_material"},
        "assessment": {"verdict": "csam_baseline", "media_types": ["image"], "national_nexus": {"victim": True}},
        "hosting": {"country": "SE", "ips": ["192.0.2.1"]},
        "reports": [{"received_at": "2026-01-01T00:00:00+00:00", "channel": "web", "description": "Ett tips <i>."}],
    }
    one = build_police_package(data, generated_at="2026-01-02T00:00:00+00:00")
    two = build_police_package(data, generated_at="2026-01-02T00:00:00+00:00")
    assert one.content == two.content and one.sha256 == two.sha256
    assert one.sha256 == hashlib.sha256(one.content).hexdigest()
    pdf = open_zip(one.content)["summary-R-TEST.pdf"]
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_the_police_liaison_collects_packages_from_their_own_page(staff_client: Any, run_tasks: Any) -> None:
    case = make_assessed_case(host="files.example.test", path="/x/2", country="SE", abuse_email="abuse@host.example")
    confirm(staff_client("analyst"), case)
    run_tasks()
    referral = police_for(case)
    liaison = staff_client("police_liaison")
    page = liaison.get("/referrals/police/").content.decode()
    assert referral.reference in page and referral.package_sha256 in page
    assert "files.example.test" not in page  # the list names references, never the URL
    # The liaison sees nothing else: no case, no referral detail, no queue.
    for path in (f"/cases/{case.pk}/", f"/referrals/{referral.pk}/", "/referrals/", "/cases/"):
        assert liaison.get(path).status_code == 403, path
    response = liaison.post(f"/referrals/{referral.pk}/package/")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == referral.package_sha256
    referral.refresh_from_db()
    assert referral.state == ReferralState.DELIVERED
    assert AuditEntry.objects.get(action="referral.package_downloaded").actor == liaison.user
    assert referral.reference not in liaison.get("/referrals/police/").content.decode()  # collected


def test_a_stored_package_is_erased_with_the_reporters_texts(staff_client: Any, run_tasks: Any, settings: Any) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from hotline.cases.services import transition_case
    from hotline.referrals import services

    case = make_assessed_case(host="files.example.test", path="/x/2", country="SE", abuse_email="abuse@host.example")
    client = staff_client("analyst")
    confirm(client, case)
    run_tasks()
    referral = police_for(case)
    assert services.erase_expired_police_packages() == 0  # off until a period is set
    settings.HOTLINE_REPORT_TEXT_RETENTION_DAYS = 30
    later = timezone.now() + timedelta(days=31)
    with time_machine.travel(later):
        assert services.erase_expired_police_packages() == 0  # its case is still open
    case.refresh_from_db()
    transition_case(case=case, to_state="closed", actor="test", close_reason="removed")
    with time_machine.travel(later + timedelta(days=31)):
        assert services.erase_expired_police_packages() == 1
        assert services.erase_expired_police_packages() == 0
    referral.refresh_from_db()
    assert referral.package == "" and referral.package_sha256  # the hash stays as the record
    from hotline.referrals import selectors

    assert referral.state == ReferralState.SENT and referral not in selectors.awaiting_download()
    entry = AuditEntry.objects.get(action="referral.packages_erased")
    assert entry.details == {
        "policy": "referrals.police_packages", "referrals": 1, "referral_ids": [referral.pk], "retention_days": 30,
    }  # fmt: skip
    response = client.post(f"/referrals/{referral.pk}/package/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (302, 400, 409)  # refused with a message, never an empty file
    assert response.get("Content-Type", "") != "application/zip"


def test_an_erased_package_is_never_mailed_empty(
    staff_client: Any, run_tasks: Any, smtp_server: Any, settings: Any
) -> None:
    from django.utils import timezone

    from hotline.referrals import services

    _case, referral = mailed_to_police(staff_client, run_tasks, settings)
    assert len(smtp_server.messages) == 1
    now = timezone.now()
    # The mail bounced, and the package was erased at the end of its retention period before a retry.
    Referral.objects.filter(pk=referral.pk).update(
        package="", state=ReferralState.FAILED, last_error="bounced", failed_at=now, next_attempt_at=now
    )
    assert services.deliver(referral.pk) == "failed"
    assert len(smtp_server.messages) == 1  # no empty zip went out
    referral.refresh_from_db()
    assert referral.state == ReferralState.FAILED
