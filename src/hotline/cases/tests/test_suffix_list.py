"""The Public Suffix List in use and the URL rules (issue 12): the list's date shown to staff, and what
the rules derive from existing cases recomputed only by an operator's command (dry run first), through
an audited service; cases that would become one are left for an analyst."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from hotline.cases import services, suffixes
from hotline.cases.models import Case
from hotline.core.crypto import IndexPurpose, blind_index
from hotline.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _as_older_rules_left_it(case: Case, *, url: str | None = None, domain: str | None = None) -> None:
    """Write a case the way triage wrote it before issue 12 (older list, older rules)."""
    fields: dict[str, Any] = {}
    if url is not None:
        fields.update(canonical_url=url, url_index=blind_index(url, purpose=IndexPurpose.CASE_URL))
    if domain is not None:
        fields["registered_domain"] = domain
    Case.objects.filter(pk=case.pk).update(**fields)


def _older_cases(triaged_case: Any) -> tuple[Case, Case, Case, Case]:
    customer = triaged_case("https://alice.wasmer.app/page")  # a private suffix newer than the old list
    platform = triaged_case("https://github.io/")  # a host that is itself a private suffix
    quoted = triaged_case("https://files.example.test/?q=it's")
    unchanged = triaged_case("https://www.example.test/a")
    _as_older_rules_left_it(customer, domain="wasmer.app")
    _as_older_rules_left_it(platform, domain="github.io")
    _as_older_rules_left_it(quoted, url="https://files.example.test/?q=it's")  # ' was kept, browsers send %27
    return customer, platform, quoted, unchanged


def test_triage_uses_the_current_list(triaged_case: Any) -> None:
    assert triaged_case("https://alice.wasmer.app/x").registered_domain == "alice.wasmer.app"
    assert triaged_case("https://github.io/x").registered_domain == ""


def test_dry_run_shows_the_changes_and_writes_nothing(triaged_case: Any) -> None:
    customer, platform, quoted, _ = _older_cases(triaged_case)
    entries = AuditEntry.objects.count()
    out = StringIO()
    call_command("rederive_cases", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"case {customer.pk}: domain wasmer.app -> alice.wasmer.app" in text
    assert f"case {platform.pk}: domain github.io -> (none)" in text
    assert f"case {quoted.pk}: canonical URL changed" in text and "it's" not in text
    assert "4 URL cases examined, 3 would change (1 canonical URLs), 0 to merge by hand." in text
    assert str(suffixes.list_date()) in text
    assert Case.objects.get(pk=customer.pk).registered_domain == "wasmer.app"
    assert Case.objects.get(pk=quoted.pk).canonical_url == "https://files.example.test/?q=it's"
    assert AuditEntry.objects.count() == entries


def test_the_command_writes_with_one_audit_entry(triaged_case: Any) -> None:
    customer, platform, quoted, unchanged = _older_cases(triaged_case)
    version = Case.objects.get(pk=customer.pk).version
    out = StringIO()
    call_command("rederive_cases", stdout=out)
    assert "4 URL cases examined, 3 changed (1 canonical URLs), 0 to merge by hand." in out.getvalue()
    assert Case.objects.get(pk=customer.pk).registered_domain == "alice.wasmer.app"
    assert Case.objects.get(pk=customer.pk).version == version + 1
    assert Case.objects.get(pk=platform.pk).registered_domain == ""
    assert Case.objects.get(pk=unchanged.pk).registered_domain == "example.test"
    moved = Case.objects.get(pk=quoted.pk)
    assert moved.canonical_url == "https://files.example.test/?q=it%27s"
    assert moved.url_index == blind_index("https://files.example.test/?q=it%27s", purpose=IndexPurpose.CASE_URL)
    entry = AuditEntry.objects.get(action="cases.rederived")
    assert entry.details == {"case_ids": sorted([customer.pk, platform.pk, quoted.pk]), "changed": 3}
    # The next report of the same page, pasted either way, now lands on that case.
    assert triaged_case("https://files.example.test/?q=it%27s").pk == quoted.pk
    # Run again: nothing left to change, nothing audited.
    assert services.rederive_cases(dry_run=False).changed == 0
    assert AuditEntry.objects.filter(action="cases.rederived").count() == 1


def test_cases_that_would_become_one_are_left_for_an_analyst(triaged_case: Any) -> None:
    old = triaged_case("https://files.example.test/?q=it's")
    _as_older_rules_left_it(old, url="https://files.example.test/?q=it's")
    new = triaged_case("https://files.example.test/?q=it%27s")  # today's form: a case of its own
    assert new.pk != old.pk
    result = services.rederive_cases(dry_run=False)
    assert result.collisions == [(old.pk, new.pk)] and result.changed == 0
    assert Case.objects.get(pk=old.pk).canonical_url == "https://files.example.test/?q=it's"


def test_case_page_shows_the_date_of_the_list(triaged_case: Any, staff_client: Any) -> None:
    case = triaged_case("https://www.example.test/a")
    body = staff_client("analyst").get(f"/cases/{case.pk}/").content.decode()
    assert 'id="suffix-list-date"' in body
    assert suffixes.list_date().isoformat() in body
