"""Recovery codes running out is a visible warning on every staff page: how many are left at 2 or fewer, a
strong warning with the way to new codes at 0; nothing while enough are left, and nothing on public pages."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from hotline.staff import rules

pytestmark = pytest.mark.django_db


def _codes(user: Any, count: int) -> None:
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=f"made-up-{n}") for n in range(count)])


def test_levels() -> None:
    assert [rules.recovery_codes_warning(n) for n in (0, 1, 2, 3, 10)] == ["none", "low", "low", None, None]


def test_enough_codes_no_warning(staff_client: Any) -> None:
    client = staff_client("analyst")
    _codes(client.user, 3)
    assert "recovery-warning" not in client.get("/staff/").content.decode()


@pytest.mark.parametrize("page", ["/staff/", "/cases/", "/report/staff/new/"])
def test_two_left_is_a_warning_that_says_how_many(staff_client: Any, page: str) -> None:
    client = staff_client("analyst")
    client.cookies["hotline_language"] = "en"
    _codes(client.user, 2)
    html = client.get(page).content.decode()
    assert 'class="recovery-warning"' in html
    assert "Only 2 recovery codes are left." in html
    assert "Ask an administrator for a new enrolment link" in html


def test_none_left_is_a_strong_warning_in_swedish(staff_client: Any) -> None:
    client = staff_client("campaigner")
    _codes(client.user, 0)
    html = client.get("/campaigns/").content.decode()
    assert "recovery-warning-none" in html and 'role="alert"' in html
    assert "Du har inga reservkoder kvar." in html


def test_an_admin_gets_the_link_to_make_new_codes(staff_client: Any) -> None:
    client = staff_client("admin")
    client.cookies["hotline_language"] = "en"
    _codes(client.user, 0)
    html = client.get("/staff/users/").content.decode()
    assert f'href="/staff/users/{client.user.pk}/"' in html and "Make new recovery codes" in html
    assert client.get(f"/staff/users/{client.user.pk}/").status_code == 200  # where the enrolment link is issued


def test_account_without_issued_codes_and_public_pages_show_nothing(staff_client: Any, client: Any) -> None:
    staff = staff_client("analyst")  # made outside enrolment: no recovery device at all
    assert "recovery-warning" not in staff.get("/staff/").content.decode()
    assert "recovery-warning" not in client.get("/").content.decode()
