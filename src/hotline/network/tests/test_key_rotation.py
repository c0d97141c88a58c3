"""Key rotation, both sides: this instance publishes a new key beside the old one (`network_rotate_key --start`),
a partner that pinned both accepts messages signed with either during the overlap, and the overlap ends when the
administrators end it (`--end` here: the new key signs, the old is no longer published; *Retire* there)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hotline.core.models import AuditEntry
from hotline.network import own_key
from hotline.network.factories import as_client_headers, pin, signed_delivery
from hotline.network.models import PinnedKey
from hotline.network.protocol import build_report_forward, decode_json, fingerprint, generate_private_key, key_id
from hotline.network.services import identity_document

pytestmark = pytest.mark.django_db
BASE = "http://127.0.0.1:8000"


def published_ids() -> list[str]:
    return [key["kid"] for key in identity_document()["keys"]]


def test_this_instance_publishes_a_new_key_beside_the_old_until_the_overlap_ends(se: Any, capsys: Any) -> None:
    old = own_key.private_key()
    assert published_ids() == [key_id(old.public_key())]

    call_command("network_rotate_key", "--start")
    new = own_key.next_private_key()
    assert new is not None and fingerprint(new.public_key()) in capsys.readouterr().out
    assert published_ids() == [key_id(old.public_key()), key_id(new.public_key())]
    assert key_id(own_key.private_key().public_key()) == key_id(old.public_key()), "the old key still signs"
    with pytest.raises(CommandError):
        call_command("network_rotate_key", "--start")  # one rotation at a time

    call_command("network_rotate_key", "--end")
    assert key_id(own_key.private_key().public_key()) == key_id(new.public_key())
    assert published_ids() == [key_id(new.public_key())]
    assert own_key.next_private_key() is None
    with pytest.raises(CommandError):
        call_command("network_rotate_key", "--end")
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "network.key_rotation_started" in actions and "network.key_rotation_ended" in actions


def test_a_partner_rotating_its_key_is_verified_with_both_until_the_admin_retires_the_old(
    client: Any, se: Any, nl: Any
) -> None:
    partner, old_key = nl
    new_key = generate_private_key()
    pin(partner=partner, key=new_key)  # the administrator confirmed the new fingerprint

    def deliver(key: Any, reference: str) -> Any:
        document = build_report_forward(
            sender="NL-EXAMPLE",
            recipient="SE-ECPAT",
            case_reference=reference,
            first_reported_at=timezone.now() - timedelta(hours=1),
            urls=[f"https://files.example.test/rotation/{reference}"],
            kind="online_material",
            classification="csam_baseline",
        )
        headers, body = signed_delivery(document, key=key, receiver_base_url=BASE)
        return client.generic(
            "POST", "/network/v1/inbox", body, content_type="application/json", **as_client_headers(headers)
        )

    assert deliver(old_key, "R-ROT0001").status_code == 200
    assert deliver(new_key, "R-ROT0002").status_code == 200

    old_pin = PinnedKey.objects.get(key_id=key_id(old_key.public_key()))
    from hotline.network.services.registry import retire_key
    from hotline.staff.factories import staff_user

    retire_key(actor=staff_user("admin", email="admin@example.test"), key_pk=old_pin.pk)
    refused = deliver(old_key, "R-ROT0003")
    assert refused.status_code == 401
    assert decode_json(refused.content)["type"].endswith("/key-unknown")
    assert deliver(new_key, "R-ROT0004").status_code == 200
