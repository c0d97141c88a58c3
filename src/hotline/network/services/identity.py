"""This instance's identity in the network: created by `manage.py network_init`, published at
GET /network/v1/identity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.core import audit
from hotline.network import own_key
from hotline.network.errors import NetworkError, NetworkNotSetUp
from hotline.network.models import OwnIdentity
from hotline.network.protocol import SchemaViolation, build_identity, canonical_base_url, fingerprint

SYSTEM = "system:network"


def own_identity() -> OwnIdentity:
    identity = OwnIdentity.objects.order_by("pk").first()
    if identity is None:
        raise NetworkNotSetUp("This hotline is not set up for the network yet (manage.py network_init).")
    return identity


def initialise(
    *, code: str, countries: Sequence[str], base_url: str, name: str, contact_email: str, contact_phone: str = ""
) -> tuple[OwnIdentity, str, bool]:
    """Create the key file when it is missing and store code, countries and base URL (audited). Returns the
    identity, the key's fingerprint and whether a new key was made. Refuses values the identity document
    could not carry."""
    try:
        base_url = canonical_base_url(base_url)
    except ValueError as exc:
        raise NetworkError(str(exc)) from exc
    codes = [c.strip().upper() for c in countries if c.strip()]
    created_key = False
    try:
        key = own_key.private_key()
    except OSError:
        key = own_key.create_key()
        created_key = True
    try:
        build_identity(
            code=code,
            name=name,
            countries=codes,
            base_url=base_url,
            contact_email=contact_email,
            public_keys=[key.public_key()],
            contact_phone=contact_phone or None,
        )
    except SchemaViolation as exc:
        raise NetworkError(f"{exc.detail} {'; '.join(getattr(exc, 'errors', []) or [])}") from exc
    with transaction.atomic():
        identity = OwnIdentity.objects.select_for_update().order_by("pk").first() or OwnIdentity()
        identity.code, identity.name, identity.countries = code, name, ",".join(codes)
        identity.base_url, identity.contact_email, identity.contact_phone = base_url, contact_email, contact_phone
        identity.updated_at = timezone.now()
        identity.save()
        audit.record(
            actor=SYSTEM,
            action="network.identity_set",
            object_type="network_identity",
            object_id=identity.pk,
            details={
                "code": code,
                "countries": codes,
                "new_key": created_key,
                "fingerprint": fingerprint(key.public_key()),
            },
        )
    return identity, fingerprint(key.public_key()), created_key


def identity_document() -> dict[str, Any]:
    identity = own_identity()
    return build_identity(
        code=identity.code,
        name=identity.name,
        countries=identity.country_codes,
        base_url=identity.base_url,
        contact_email=identity.contact_email,
        contact_phone=identity.contact_phone or None,
        public_keys=[key.public_key() for key in own_key.published_keys()],
    )


def start_key_rotation() -> str:
    """Publish a new key beside the signing key (audited); its fingerprint, to read to partners."""
    key = own_key.start_rotation()
    with transaction.atomic():
        audit.record(
            actor=SYSTEM,
            action="network.key_rotation_started",
            object_type="network_identity",
            details={"fingerprint": fingerprint(key.public_key())},
        )
    return fingerprint(key.public_key())


def end_key_rotation() -> str:
    """End the overlap: sign with the new key, stop publishing the old one (audited); the new fingerprint."""
    old = own_key.private_key()
    key = own_key.end_rotation()
    with transaction.atomic():
        audit.record(
            actor=SYSTEM,
            action="network.key_rotation_ended",
            object_type="network_identity",
            details={"fingerprint": fingerprint(key.public_key()), "retired": fingerprint(old.public_key())},
        )
    return fingerprint(key.public_key())
