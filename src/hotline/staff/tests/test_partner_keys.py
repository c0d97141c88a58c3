"""Partner API keys: stored hashed, shown once, revocable by admins only (page, service and command)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from hotline.core.models import AuditEntry
from hotline.staff import services
from hotline.staff.factories import partner_key
from hotline.staff.models import PartnerKey
from hotline.staff.services import hash_partner_key

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def test_partner_keys_are_stored_hashed_and_revocable() -> None:
    record, key = services.create_partner_key(partner="Operator", actor="test")
    assert key.startswith(f"hlk_{record.prefix}_") and len(key) > 40
    assert key not in raw_rows("intake_partnerkey") and record.key_hash == services.hash_partner_key(key)
    services.revoke_partner_key(key=record, actor="test")
    services.revoke_partner_key(key=record, actor="test")
    assert record.is_revoked
    assert AuditEntry.objects.filter(action="partner_key.revoked").count() == 1
    with pytest.raises(services.StaffError):
        services.create_partner_key(partner="  ", actor="test")


def test_create_partner_key_command_prints_the_key_once() -> None:
    out = io.StringIO()
    call_command("create_partner_key", "Telecom Safe Report", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    record = PartnerKey.objects.get()
    assert record.partner == "Telecom Safe Report" and record.key_hash == services.hash_partner_key(key)


def test_admin_creates_and_revokes_partner_keys(staff_client: Any) -> None:
    admin = staff_client("admin")
    assert admin.get("/staff/partner-keys/").status_code == 200
    response = admin.post("/staff/partner-keys/", {"partner": "Telecom Safe Report"})
    key = re.search(rb'<p class="plain-url" id="new-key">([^<]+)</p>', response.content).group(1).decode()
    record = PartnerKey.objects.get()
    assert record.key_hash == hash_partner_key(key) and record.created_by == admin.user
    listing = admin.get("/staff/partner-keys/")
    assert key.encode() not in listing.content and record.prefix.encode() in listing.content
    revoked = admin.post(f"/staff/partner-keys/{record.pk}/revoke/", {"confirmed": "yes"})
    assert revoked.status_code == 302
    record.refresh_from_db()
    assert record.is_revoked
    assert admin.post("/staff/partner-keys/", {"partner": ""}).status_code == 400


def test_only_admins_manage_keys(staff_client: Any) -> None:
    record = partner_key(partner="P", key="hlk_abcd_never-shown")
    for role in ("analyst", "supervisor", "campaigner"):
        client = staff_client(role)
        assert client.get("/staff/partner-keys/").status_code == 403
        assert client.post(f"/staff/partner-keys/{record.pk}/revoke/").status_code == 403
    record.refresh_from_db()
    assert not record.is_revoked


def test_revoking_a_key_asks_once_more(staff_client: Any) -> None:
    admin = staff_client("admin")
    admin.post("/staff/partner-keys/", {"partner": "Telecom Safe Report"})
    record = PartnerKey.objects.get()
    ask = admin.post(f"/staff/partner-keys/{record.pk}/revoke/")
    assert ask.status_code == 200 and 'name="confirmed" value="yes"' in ask.content.decode()
    record.refresh_from_db()
    assert not record.is_revoked
