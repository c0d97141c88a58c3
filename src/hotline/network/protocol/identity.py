"""The identity document a hotline publishes at GET /network/v1/identity, built and read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import SchemaViolation
from .keys import KeyFormatError, public_jwk, public_key_from_jwk
from .messages import IDENTITY_SCHEMA, SUPPORTED_VERSIONS, check_schema
from .urls import canonical_base_url


@dataclass(frozen=True)
class Identity:
    """A partner's identity as read from its document. `keys` maps key id to key; nothing here is
    trusted until an administrator confirmed the fingerprints and pinned the keys."""

    code: str
    name: str
    countries: tuple[str, ...]
    base_url: str
    contact_email: str
    contact_phone: str | None
    protocol_versions: tuple[int, ...]
    keys: Mapping[str, Ed25519PublicKey]


def build_identity(
    *,
    code: str,
    name: str,
    countries: Iterable[str],
    base_url: str,
    contact_email: str,
    public_keys: Iterable[Ed25519PublicKey],
    contact_phone: str | None = None,
) -> dict[str, Any]:
    contact = {"email": contact_email} | ({"phone": contact_phone} if contact_phone else {})
    document = {
        "protocol_versions": sorted(SUPPORTED_VERSIONS),
        "code": code,
        "name": name,
        "countries": list(countries),
        "base_url": canonical_base_url(base_url),
        "contact": contact,
        "keys": [public_jwk(key) for key in public_keys],
    }
    parse_identity(document)
    return document


def parse_identity(document: Mapping[str, Any]) -> Identity:
    """Check an identity document (schema, canonical base URL, each kid the thumbprint of its key)."""
    check_schema(IDENTITY_SCHEMA, document)
    errors: list[str] = []
    keys: dict[str, Ed25519PublicKey] = {}
    for position, jwk in enumerate(document["keys"]):
        try:
            keys[jwk["kid"]] = public_key_from_jwk(jwk)
        except (KeyFormatError, ValueError) as e:
            errors.append(f"/keys/{position}: {e}")
    if len(keys) != len(document["keys"]) and not errors:
        errors.append("/keys: lists one key twice")
    try:
        if canonical_base_url(document["base_url"]) != document["base_url"]:
            errors.append("/base_url: is not in canonical form")
    except ValueError:
        errors.append("/base_url: is not an http(s) base URL")
    if not SUPPORTED_VERSIONS & set(document["protocol_versions"]):
        errors.append("/protocol_versions: shares no version with this instance")
    if errors:
        raise SchemaViolation("The identity document is not usable.", errors=errors)
    contact = document["contact"]
    return Identity(
        code=document["code"],
        name=document["name"],
        countries=tuple(document["countries"]),
        base_url=document["base_url"],
        contact_email=contact["email"],
        contact_phone=contact.get("phone"),
        protocol_versions=tuple(document["protocol_versions"]),
        keys=keys,
    )
