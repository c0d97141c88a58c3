"""The network's staff pages (admins): add a partner from its base URL (a real fetch over loopback), confirm
its fingerprint, pin it, end a rotation's overlap (asked once more), outbox and inbox; Swedish and English."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.core.models import AuditEntry
from hotline.network.factories import network_partner, own_identity, pin
from hotline.network.models import PinnedKey
from hotline.network.protocol import generate_private_key
from hotline.referrals.models import PartnerChannel, PartnerHotline


@pytest.mark.django_db(transaction=True)
def test_admin_adds_a_partner_by_base_url_and_pins_the_confirmed_key(staff_client: Any, live_server: Any) -> None:
    # The live server publishes an identity (NL-EXAMPLE) that this same instance then registers as its partner:
    # a real GET over loopback, a real signature on the answer.
    own_identity(code="NL-EXAMPLE", countries="NL", base_url=live_server.url)
    admin = staff_client("admin")
    page = admin.post("/network/partners/fetch/", {"base_url": live_server.url + "/"})
    assert page.status_code == 200, page.content
    text = page.content.decode()
    from hotline.network import own_key
    from hotline.network.protocol import fingerprint, key_id

    public = own_key.private_key().public_key()
    assert fingerprint(public) in text and "NL-EXAMPLE" in text
    assert not PartnerHotline.objects.exists(), "fetching writes nothing"

    done = admin.post(
        "/network/partners/register/", {"base_url": live_server.url, "key_ids": [key_id(public)], "language": "en"}
    )
    assert done.status_code == 302
    partner = PartnerHotline.objects.get(code="NL-EXAMPLE")
    assert partner.channel == PartnerChannel.NETWORK and partner.base_url == live_server.url
    assert PinnedKey.objects.get(partner=partner).key_id == key_id(public)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"referral.partner_created", "network.key_pinned"} <= actions


@pytest.mark.django_db(transaction=True)
def test_nothing_is_pinned_without_a_confirmed_fingerprint(staff_client: Any, live_server: Any) -> None:
    own_identity(code="NL-EXAMPLE", countries="NL", base_url=live_server.url)
    answer = staff_client("admin").post("/network/partners/register/", {"base_url": live_server.url, "language": "en"})
    assert answer.status_code == 400
    assert not PartnerHotline.objects.exists() and not PinnedKey.objects.exists()


@pytest.mark.django_db
def test_rotation_overlap_ended_by_the_admin(staff_client: Any, se: Any) -> None:
    partner, _old = network_partner()
    new = pin(partner=partner, key=generate_private_key())
    old = PinnedKey.objects.exclude(pk=new.pk).get()
    admin = staff_client("admin")
    page = admin.get(f"/network/partners/{partner.pk}/")
    assert old.fingerprint in page.content.decode() and new.fingerprint in page.content.decode()
    question = admin.get(f"/network/partners/{partner.pk}/keys/{old.pk}/retire/")
    assert question.status_code == 200 and PinnedKey.objects.get(pk=old.pk).retired_at is None  # a GET asks
    assert admin.post(f"/network/partners/{partner.pk}/keys/{old.pk}/retire/").status_code == 302
    assert PinnedKey.objects.get(pk=old.pk).retired_at is not None
    last = admin.post(f"/network/partners/{partner.pk}/keys/{new.pk}/retire/")
    assert last.status_code == 400 and PinnedKey.objects.get(pk=new.pk).retired_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading"), [("sv", "Nätverkets utkorg"), ("en", "Network outbox")])
def test_pages_in_swedish_and_english(staff_client: Any, se: Any, nl: Any, language: str, heading: str) -> None:
    client = staff_client("admin")
    client.cookies["hotline_language"] = language
    for path in ("/network/partners/", "/network/outbox/", "/network/inbox/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, path
    assert heading in client.get("/network/outbox/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
