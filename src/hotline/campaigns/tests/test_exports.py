"""Hand-over exports: PDF and CSV made in the worker with progress, no emails, guarded CSV, audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from pypdf import PdfReader

from hotline.campaigns import export_files, services
from hotline.campaigns.models import ExportState, Petition, PetitionExport
from hotline.core.models import AuditEntry

# run_tasks uses the real worker, which closes a connection it finds inside a transaction (on
# PostgreSQL, the test's own), so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def export_dir(settings: Any, tmp_path: Any) -> Any:
    settings.HOTLINE_CAMPAIGN_EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "exports"


def _signers(petition: Petition, actor: Any) -> None:
    people = [
        ("Anna Åström", "anna@example.test", "0180", ""),
        ('=HYPERLINK("http://evil.example")', "evil@example.test", "1480", ""),
        ("Ola Nordmann", "ola@example.test", "abroad", "NO"),
        ("+46 Björn", "bjorn@example.test", "2584", ""),
    ]
    for name, email, municipality, country in people:
        services.add_verified_signature(
            petition=petition, name=name, email=email, municipality=municipality, country=country, actor=actor
        )
    services.sign_petition(petition=petition, name="Pending Person", email="pending@example.test", municipality="0180")


def test_csv_export_in_the_worker(staff_client: Any, petition: Petition, run_tasks: Any, export_dir: Any) -> None:
    campaigner = staff_client("campaigner")
    _signers(petition, campaigner.user)
    response = campaigner.post(f"/campaigns/petitions/{petition.pk}/exports/", {"kind": "csv", "language": "sv"})
    assert response.status_code == 302
    export = PetitionExport.objects.get()
    assert export.state == ExportState.QUEUED
    assert campaigner.get(response["Location"]).status_code == 200
    assert campaigner.get(f"/campaigns/exports/{export.pk}/status.json").json()["state"] == "queued"
    run_tasks()
    export.refresh_from_db()
    assert (export.state, export.progress, export.rows) == (ExportState.DONE, 100, 4)

    download = campaigner.get(f"/campaigns/exports/{export.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="barnets-rattigheter-')
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Namn", "Kommun eller land", "Bekräftad"]
    names = [r[0] for r in rows[1:]]
    assert names == ["Anna Åström", '\'=HYPERLINK("http://evil.example")', "Ola Nordmann", "'+46 Björn"]
    assert [r[1] for r in rows[1:]] == ["Stockholm", "Göteborg", "Norge", "Kiruna"]
    assert "@" not in text  # no email addresses, and no pending signer
    assert "Pending" not in text
    assert AuditEntry.objects.filter(action="petition.export_downloaded", actor=campaigner.user).count() == 1
    assert (export_dir / export.file_name).stat().st_mode & 0o077 == 0  # only the service user may read it


def test_pdf_export_title_page_and_names(
    staff_client: Any, petition: Petition, run_tasks: Any, export_dir: Any
) -> None:
    campaigner = staff_client("campaigner")
    _signers(petition, campaigner.user)
    export = services.request_export(petition=petition, kind="pdf", actor=campaigner.user, language="sv")
    run_tasks()
    export.refresh_from_db()
    assert export.state == ExportState.DONE
    reader = PdfReader(str(export_files.path_of(export)))
    title_page = reader.pages[0].extract_text()
    assert "Utbildning om barnets rättigheter" in title_page
    assert "Till: Utbildningsministern" in title_page
    assert "4 bekräftade underskrifter" in title_page
    assert "juristprogrammen" in title_page
    summary = reader.pages[1].extract_text()
    assert "Stockholms län" in summary and "Utomlands" in summary
    names = reader.pages[2].extract_text()
    assert "Anna Åström" in names and "Kiruna" in names and "Norge" in names
    everything = "".join(page.extract_text() for page in reader.pages)
    assert "@example.test" not in everything and "Pending Person" not in everything


def test_only_campaigners_download_and_deleted_files_are_gone(
    staff_client: Any, petition: Petition, run_tasks: Any, export_dir: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaigner = staff_client("campaigner")
    _signers(petition, campaigner.user)
    export = services.request_export(petition=petition, kind="csv", actor=campaigner.user)
    run_tasks()
    for role in ("analyst", "supervisor", "admin", "statistician"):
        assert staff_client(role).get(f"/campaigns/exports/{export.pk}/download/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the deletion is committed
        assert campaigner.post(f"/campaigns/exports/{export.pk}/delete/", {"confirmed": "yes"}).status_code == 302
    assert not export_files.path_of(export).exists()
    assert campaigner.get(f"/campaigns/exports/{export.pk}/download/").status_code == 404


def test_export_of_an_empty_petition(petition: Petition, make_staff: Any, run_tasks: Any, export_dir: Any) -> None:
    pdf = services.request_export(petition=petition, kind="pdf", actor=make_staff("campaigner"))
    run_tasks()
    pdf.refresh_from_db()
    assert pdf.state == ExportState.DONE and pdf.rows == 0
    assert "0 bekräftade underskrifter" in PdfReader(str(export_files.path_of(pdf))).pages[0].extract_text()


def test_a_finished_export_is_not_redone(petition: Petition, make_staff: Any, run_tasks: Any, export_dir: Any) -> None:
    export = services.request_export(petition=petition, kind="csv", actor=make_staff("campaigner"))
    run_tasks()
    export.refresh_from_db()
    finished = export.finished_at
    services.run_export(export_id=export.pk)
    export.refresh_from_db()
    assert export.finished_at == finished


def test_subscriber_csv_is_guarded_and_audited(staff_client: Any) -> None:
    campaigner = staff_client("campaigner")
    services.add_confirmed_subscriber(email="=cmd@example.test", language="sv", actor=campaigner.user)
    services.add_confirmed_subscriber(email="plain@example.test", language="en", actor=campaigner.user)
    services.subscribe(email="pending@example.test")
    response = campaigner.get("/campaigns/newsletter/subscribers.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["email", "language", "confirmed_at"]
    assert [r[0] for r in rows[1:]] == ["'=cmd@example.test", "plain@example.test"]
    assert AuditEntry.objects.filter(action="newsletter.subscribers_exported").get().details == {"rows": 2}
