"""Tor v3 onion addresses: the one check of HOTLINE_ONION_ADDRESS (docs/onion.md).

A v3 address is base32(public key (32 bytes) | checksum (2) | version (1)) + ".onion", the checksum being the
first two bytes of SHA3-256(".onion checksum" | public key | version) (Tor's rend-spec-v3, section 6). The
check catches a mistyped or truncated address before the header that points Tor Browser at it goes out.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

_V3 = re.compile(r"[a-z2-7]{56}\.onion", re.ASCII)
VERSION = 3
EXPECTS = "a v3 onion address (56 letters a-z and digits 2-7, then .onion), without http:// or a path"


def checksum(public_key: bytes) -> bytes:
    return hashlib.sha3_256(b".onion checksum" + public_key + bytes([VERSION])).digest()[:2]


def address_for(public_key: bytes) -> str:
    """The v3 address of an ed25519 public key (used by the tests to make addresses)."""
    raw = public_key + checksum(public_key) + bytes([VERSION])
    return base64.b32encode(raw).decode("ascii").lower() + ".onion"


def parse_onion_address(value: Any) -> str:
    """The address in lower case ("" when empty); ValueError for anything that is not a valid v3 address."""
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    host = value.strip().lower()
    if not host:
        return ""
    if not _V3.fullmatch(host):
        raise ValueError("not a v3 onion address")
    raw = base64.b32decode(host[:56].upper())
    public_key, check, version = raw[:32], raw[32:34], raw[34]
    if version != VERSION or check != checksum(public_key):
        raise ValueError("wrong checksum or version")
    return host
