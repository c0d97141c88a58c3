"""The Public Suffix List in use (issue 12): its date shown to staff, and registered domains of existing
cases recomputed only by an operator's command (dry run first), through an audited service."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from hotline.cases import services, suffixes
from hotline.cases.models import Case
from hotline.staff.models import AuditEntry

pytestmark = pytest.mark.django_db


def _cases_as_an_older_list_left_them(triaged_case: Any) -> tuple[Case, Case, Case]:
    customer = triaged_case("https://alice.wasmer.app/page")  # a private suffix newer than the old list
    platform = triaged_case("https://github.io/")  # a host that is itself a private suffix
    unchanged = triaged_case("https://www.example.test/a")
    Case.objects.filter(pk=customer.pk).update(registered_domain="wasmer.app")
    Case.objects.filter(pk=platform.pk).update(registered_domain="github.io")
    return customer, platform, unchanged


def test_triage_uses_the_current_list(triaged_case: Any) -> None:
    assert triaged_case("https://alice.wasmer.app/x").registered_domain == "alice.wasmer.app"
    assert triaged_case("https://github.io/x").registered_domain == ""


def test_dry_run_shows_the_changes_and_writes_nothing(triaged_case: Any) -> None:
    customer, platform, _ = _cases_as_an_older_list_left_them(triaged_case)
    entries = AuditEntry.objects.count()
    out = StringIO()
    call_command("rederive_registered_domains", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"case {customer.pk}: wasmer.app -> alice.wasmer.app" in text
    assert f"case {platform.pk}: github.io -> (none)" in text
    assert "3 cases with a host examined, 2 would change." in text
    assert str(suffixes.list_date()) in text
    assert Case.objects.get(pk=customer.pk).registered_domain == "wasmer.app"
    assert AuditEntry.objects.count() == entries


def test_the_command_writes_with_one_audit_entry(triaged_case: Any) -> None:
    customer, platform, unchanged = _cases_as_an_older_list_left_them(triaged_case)
    version = Case.objects.get(pk=customer.pk).version
    out = StringIO()
    call_command("rederive_registered_domains", stdout=out)
    assert "3 cases with a host examined, 2 changed." in out.getvalue()
    assert Case.objects.get(pk=customer.pk).registered_domain == "alice.wasmer.app"
    assert Case.objects.get(pk=customer.pk).version == version + 1
    assert Case.objects.get(pk=platform.pk).registered_domain == ""
    assert Case.objects.get(pk=unchanged.pk).registered_domain == "example.test"
    entry = AuditEntry.objects.get(action="cases.registered_domains_rederived")
    assert entry.details == {"case_ids": sorted([customer.pk, platform.pk]), "changed": 2}
    # Run again: nothing left to change, nothing audited.
    assert services.rederive_registered_domains(dry_run=False).changed == 0
    assert AuditEntry.objects.filter(action="cases.registered_domains_rederived").count() == 1


def test_case_page_shows_the_date_of_the_list(triaged_case: Any, staff_client: Any) -> None:
    case = triaged_case("https://www.example.test/a")
    body = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    assert 'id="suffix-list-date"' in body
    assert suffixes.list_date().isoformat() in body
