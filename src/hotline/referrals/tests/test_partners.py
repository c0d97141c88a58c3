"""The partner hotline page: supervisors and admins keep the reference data; bad input gets a 400."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.core.models import AuditEntry
from hotline.referrals.models import PartnerHotline

pytestmark = pytest.mark.django_db

GOOD = {"name": "Demo hotline NL", "countries": "nl, be", "referral_email": "hotline-nl@partners.example",
        "language": "en", "active": "on"}  # fmt: skip


def test_supervisor_adds_and_edits_a_partner(staff_client: Any) -> None:
    client = staff_client("supervisor")
    assert client.get("/referrals/partners/").status_code == 200
    assert client.post("/referrals/partners/", GOOD).status_code == 302
    partner = PartnerHotline.objects.get()
    assert partner.country_codes == ["NL", "BE"] and partner.active
    created = AuditEntry.objects.get(action="referral.partner_created")
    assert created.details["countries"] == ["NL", "BE"] and "@" not in str(created.details)
    page = client.get("/referrals/partners/").content.decode()
    assert "Demo hotline NL" in page and "hotline-nl@partners.example" in page

    response = client.post(f"/referrals/partners/{partner.pk}/", {**GOOD, "countries": "NL", "active": ""})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.countries == "NL" and not partner.active
    assert set(AuditEntry.objects.get(action="referral.partner_updated").details["changed"]) == {"active", "countries"}
    assert client.get("/referrals/partners/999999/").status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"countries": "Netherlands"},
        {"countries": ""},
        {"countries": "SE"},  # our own country
        {"referral_email": "not-an-address"},
        {"name": ""},
        {"language": "de"},
    ],
)
def test_bad_partner_input_is_refused_and_nothing_written(staff_client: Any, changes: dict) -> None:
    response = staff_client("admin").post("/referrals/partners/", {**GOOD, **changes})
    assert response.status_code == 400
    assert not PartnerHotline.objects.exists()


def test_duplicate_name_is_refused(staff_client: Any) -> None:
    client = staff_client("admin")
    assert client.post("/referrals/partners/", GOOD).status_code == 302
    assert client.post("/referrals/partners/", {**GOOD, "countries": "DE"}).status_code == 400
    assert PartnerHotline.objects.count() == 1


def test_inactive_partner_is_not_proposed(staff_client: Any) -> None:
    from hotline.referrals.selectors import partner_for_country

    PartnerHotline.objects.create(name="Old", countries="NL", referral_email="old@partners.example", active=False)
    assert partner_for_country(country="NL") is None
    PartnerHotline.objects.create(name="New", countries="DE,NL", referral_email="new@partners.example")
    assert partner_for_country(country="nl").name == "New"
    assert partner_for_country(country="SE") is None
