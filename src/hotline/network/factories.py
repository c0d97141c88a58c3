"""Builders for the network's tests, demo data and benchmark: this instance's identity, a partner on the network
with a pinned key, and a signed delivery as a partner would send it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from hotline.network.models import OwnIdentity, PinnedKey
from hotline.network.protocol import (
    INBOX_PATH,
    MEDIA_TYPE,
    encode_message,
    endpoint_url,
    fingerprint,
    generate_private_key,
    key_id,
    sign_request,
)
from hotline.network.protocol.keys import _b64url, raw_public_key
from hotline.referrals.models import PartnerChannel, PartnerHotline


def own_identity(
    *, code: str = "SE-ECPAT", countries: str = "SE", base_url: str = "http://127.0.0.1:8000"
) -> OwnIdentity:
    """This instance's identity row (the key file is the test's: HOTLINE_NETWORK_KEY_FILE)."""
    from hotline.network import own_key

    try:
        own_key.private_key()
    except OSError:
        own_key.create_key()
    identity = OwnIdentity.objects.order_by("pk").first() or OwnIdentity()
    identity.code, identity.name, identity.countries, identity.base_url = code, f"Hotline {code}", countries, base_url
    identity.contact_email = "network@example.test"
    identity.save()
    return identity


def network_partner(
    *,
    code: str = "NL-EXAMPLE",
    countries: str = "NL",
    base_url: str = "http://127.0.0.1:9",
    key: Ed25519PrivateKey | None = None,
    active: bool = True,
) -> tuple[PartnerHotline, Ed25519PrivateKey]:
    """A partner reached over the network, with one pinned key (made here unless given)."""
    key = key or generate_private_key()
    with transaction.atomic():
        partner = PartnerHotline.objects.create(
            name=f"Hotline {code}",
            code=code,
            countries=countries,
            base_url=base_url,
            channel=PartnerChannel.NETWORK,
            active=active,
        )
        pin(partner=partner, key=key)
    return partner, key


def pin(*, partner: PartnerHotline, key: Ed25519PrivateKey) -> PinnedKey:
    public = key.public_key()
    return PinnedKey.objects.create(
        partner=partner,
        key_id=key_id(public),
        public_key=_b64url(raw_public_key(public)),
        fingerprint=fingerprint(public),
    )


def signed_delivery(
    document: dict[str, Any],
    *,
    key: Ed25519PrivateKey,
    receiver_base_url: str,
    created: datetime | None = None,
    sign_with_id_of: Ed25519PrivateKey | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a POST to the receiver's inbox, signed by `key` (under the key id of
    `sign_with_id_of`, to forge a signature in tests)."""
    body = encode_message(document)
    headers = {"Content-Type": MEDIA_TYPE}
    kid = key_id((sign_with_id_of or key).public_key())
    headers |= sign_request(
        "POST", endpoint_url(receiver_base_url, INBOX_PATH), headers, body, key, kid, created or timezone.now()
    )
    return headers, body


def as_client_headers(headers: dict[str, str]) -> dict[str, str]:
    """Django test client keyword arguments for request headers (Content-Type goes as content_type)."""
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"}
