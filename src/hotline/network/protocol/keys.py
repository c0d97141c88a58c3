"""Ed25519 keys of the network: generation, PEM files, JWK form, key ids and fingerprints read aloud."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# A fingerprint is the first 160 bits of the key's RFC 7638 thumbprint in base32: 32 letters and digits
# in 8 groups of 4. Base32 has one case and no 0/O or 1/I/L pairs, so it survives being read over the
# phone; 160 bits leave no room for a second key with the same fingerprint.
FINGERPRINT_BYTES = 20
FINGERPRINT_GROUP = 4


class KeyFormatError(ValueError):
    """A key (PEM, JWK or raw) is not a well-formed Ed25519 key, or its id does not match it."""


class KeyFileError(OSError):
    """A private key file is missing, unreadable or readable by others."""


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@lru_cache(maxsize=256)
def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """The key object of 32 raw bytes; cached, as the inbox and the outbox load the same pinned keys for every
    message (a key object is immutable, and which keys are live is still read from the database each time)."""
    if len(raw) != 32:
        raise KeyFormatError("An Ed25519 public key has 32 bytes.")
    return Ed25519PublicKey.from_public_bytes(raw)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise KeyFormatError("Not base64url without padding.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as e:
        raise KeyFormatError("Not base64url without padding.") from e


def thumbprint(key: Ed25519PublicKey) -> bytes:
    """RFC 7638 JWK thumbprint (SHA-256) of the key: the hash of its required JWK members, sorted, compact."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw_public_key(key))}, separators=(",", ":"), sort_keys=True
    )
    return hashlib.sha256(canonical.encode("ascii")).digest()


def key_id(key: Ed25519PublicKey) -> str:
    """The key's id in signatures (`keyid`) and in the identity document: its thumbprint in base64url.

    Deriving the id from the key makes it unique across every partner, so a receiver can find the key
    (and so the partner) before it trusts anything in the message."""
    return _b64url(thumbprint(key))


def fingerprint(key: Ed25519PublicKey) -> str:
    """What an administrator reads aloud to the partner to confirm a key, e.g. 'BQ7N 2KXD ...'."""
    text = base64.b32encode(thumbprint(key)[:FINGERPRINT_BYTES]).decode("ascii")
    return " ".join(text[i : i + FINGERPRINT_GROUP] for i in range(0, len(text), FINGERPRINT_GROUP))


def normalize_fingerprint(text: str) -> str:
    """A fingerprint as typed or read back (any case, spaces or dashes) in the shape `fingerprint` shows."""
    compact = re.sub(r"[\s-]", "", text).upper()
    return " ".join(compact[i : i + FINGERPRINT_GROUP] for i in range(0, len(compact), FINGERPRINT_GROUP))


def fingerprints_match(key: Ed25519PublicKey, typed: str) -> bool:
    return normalize_fingerprint(typed) == fingerprint(key)


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The key as published in the identity document (RFC 8037 OKP JWK, with its id)."""
    return {"kty": "OKP", "crv": "Ed25519", "kid": key_id(key), "x": _b64url(raw_public_key(key))}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """The key of a published JWK. Refuses a JWK whose `kid` is not the key's own thumbprint, so a
    partner cannot publish one key under another key's id."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyFormatError("Only OKP keys on Ed25519 are used.")
    if "d" in jwk:
        raise KeyFormatError("A published key must not contain its private part.")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise KeyFormatError("The JWK has no x.")
    key = public_key_from_raw(_b64url_decode(x))
    if jwk.get("kid") != key_id(key):
        raise KeyFormatError("The JWK's kid is not the thumbprint of its key.")
    return key


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key_pem(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise KeyFormatError("Not an unencrypted PKCS#8 PEM private key.") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("The private key is not an Ed25519 key.")
    return key


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as e:
        raise KeyFormatError("Not a PEM public key.") from e
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError("The public key is not an Ed25519 key.")
    return key


def key_file_exposure(path: Path) -> str | None:
    """Why a private key file is not safe to use (missing, not a regular file, readable or writable by
    group or others), or None. The app decides whether that stops it (it does in production)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{path} does not exist."
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file."
    if info.st_mode & 0o077:
        return f"{path} can be read or written by group or others (mode {stat.S_IMODE(info.st_mode):o}); use 0600."
    return None


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write a new key file readable by its owner only. Refuses to overwrite: replacing a key silently
    would cut the instance off from every partner that pinned the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_to_pem(key))
        handle.flush()
        os.fsync(handle.fileno())


def read_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"Cannot read the network key file {path}: {e.strerror}.") from e
    return load_private_key_pem(data)
