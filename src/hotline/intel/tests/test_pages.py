"""The intel staff pages: lists, the upload page whose import runs in the background with a progress page that
reloads itself (no JavaScript), bad rows shown by line, enabling and exports; who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hotline.core.models import AuditEntry
from hotline.intel import services
from hotline.intel.models import HashEntry, HashList, ImportState, KnownUrlList, ListImport

SHA = "ab" * 32


def _list() -> HashList:
    return services.create_hash_list(
        name="Police list", source="police", trust_level="verified", classification="csam_national", actor="t"
    )


# The worker's tasks run outside a test transaction (the worker closes connections found inside one).
@pytest.mark.django_db(transaction=True)
def test_an_upload_runs_in_the_background_and_its_page_follows_it(staff_client: Any, run_tasks: Any) -> None:
    hash_list = _list()
    client = staff_client("supervisor")
    upload = SimpleUploadedFile("list.csv", f"type,hash\nsha256,{SHA}\nmd5,{'c' * 32}\n".encode())
    answer = client.post(f"/intel/hash-lists/{hash_list.pk}/upload/", {"file": upload})
    assert answer.status_code == 302
    job = ListImport.objects.get()
    assert answer["Location"] == f"/intel/imports/{job.pk}/"
    waiting = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' in waiting and f'href="/intel/imports/{job.pk}/"' in waiting
    assert HashEntry.objects.count() == 0
    run_tasks()
    job.refresh_from_db()
    assert (job.state, job.added, job.stored_file) == (ImportState.DONE, 2, "")
    done = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert HashEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_refused_upload_lists_its_bad_lines_and_imports_nothing(staff_client: Any, run_tasks: Any) -> None:
    hash_list = _list()
    client = staff_client("supervisor")
    upload = SimpleUploadedFile("list.csv", f"hash\n{SHA}\n{'x' * 64}\n".encode())
    client.post(f"/intel/hash-lists/{hash_list.pk}/upload/", {"file": upload, "hash_type": "sha256"})
    run_tasks()
    job = ListImport.objects.get()
    assert job.state == ImportState.REFUSED and job.error_count == 1
    page = client.get(f"/intel/imports/{job.pk}/").content.decode()
    assert "<td>3</td>" in page
    assert "Hashvärdet har ett tecken som inte är en hexadecimal siffra" in page  # words in the staff language
    assert HashEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_file_of_another_format_is_refused_on_the_page(staff_client: Any) -> None:
    hash_list = _list()
    client = staff_client("supervisor")
    upload = SimpleUploadedFile("list.xlsx", b"PK...")
    answer = client.post(f"/intel/hash-lists/{hash_list.pk}/upload/", {"file": upload})
    assert answer.status_code == 400
    assert not ListImport.objects.exists()


@pytest.mark.django_db
def test_lists_pages_enabling_and_exports(staff_client: Any) -> None:
    hash_list = _list()
    supervisor = staff_client("supervisor")
    assert supervisor.get("/intel/").status_code == 200
    created = supervisor.post(
        "/intel/url-lists/new/",
        {"name": "IWF URLs", "source": "IWF", "trust_level": "verified", "classification": "csam_baseline"},
    )
    assert created.status_code == 302 and KnownUrlList.objects.filter(name="IWF URLs").exists()
    assert (
        supervisor.post("/intel/hash-lists/new/", {"name": "Police list", "trust_level": "verified"}).status_code == 400
    )
    assert supervisor.post(f"/intel/hash-lists/{hash_list.pk}/enabled/", {}).status_code == 302
    hash_list.refresh_from_db()
    assert not hash_list.enabled
    assert AuditEntry.objects.filter(action="intel.hash_list.disabled").exists()
    analyst = staff_client("analyst")
    assert analyst.get(f"/intel/hash-lists/{hash_list.pk}/").status_code == 200
    assert analyst.post(f"/intel/hash-lists/{hash_list.pk}/enabled/", {"enabled": "on"}).status_code == 403
    csv = analyst.get(f"/intel/hash-lists/{hash_list.pk}/export.csv")
    assert csv.status_code == 200 and b"type,hash" in b"".join(csv.streaming_content)
    assert analyst.get("/intel/hash-lists/99999/").status_code == 404
    assert analyst.get("/intel/matches/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_known_url_list_is_uploaded_and_imported_by_the_worker(staff_client: Any, run_tasks: Any) -> None:
    client = staff_client("supervisor")
    client.post(
        "/intel/url-lists/new/",
        {"name": "IWF", "trust_level": "verified", "classification": "csam_baseline", "match_registered_domain": "on"},
    )
    url_list = KnownUrlList.objects.get(name="IWF")
    assert url_list.match_registered_domain
    upload = SimpleUploadedFile("iwf.csv", b"URL,Category,Date\nhttps://a.example.test/x,A,31/05/2024\n")
    answer = client.post(f"/intel/url-lists/{url_list.pk}/upload/", {"file": upload})
    assert answer.status_code == 302
    run_tasks()
    job = ListImport.objects.get(url_list=url_list)
    assert (job.state, job.added) == (ImportState.DONE, 1)
    entry = url_list.entries.get()
    assert entry.listed_on.isoformat() == "2024-05-31" and entry.registered_domain == "example.test"
    assert "a.example.test" not in client.get(f"/intel/imports/{job.pk}/").content.decode()  # no URL on the page
