"""The coalition export's signing key: one Ed25519 key file of this app, its public key and id, and signatures.

The network app (a layer above) will have the instance's own key; until an instance has one, the coalition export
is signed with this key of its own, handled the way the network's key file is: PKCS#8 PEM, created with mode 0600,
never overwritten, and refused when group or others may read it. Members pin the public key shown on the export
page (its id is the SHA-256 of the raw 32-byte key, which they can compute themselves, docs/coalition.md)."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hotline.intel import payments_conf


class CoalitionKeyError(OSError):
    """The key file is missing (where it may not be created), unreadable, not an Ed25519 key, or exposed."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_pem(self) -> str:
        return public_pem(self.public)

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, data: bytes) -> bytes:
        """A detached Ed25519 signature (64 raw bytes) over exactly `data`."""
        return self.private.sign(data)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(key)).hexdigest()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def exposure(path: Path) -> str | None:
    """Why the key file is not safe to use (missing, not a regular file, open to group or others), or None."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{path} does not exist."
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file."
    if info.st_mode & 0o077:
        return f"{path} can be read or written by group or others (mode {stat.S_IMODE(info.st_mode):o}); use 0600."
    return None


def create_key_file(path: Path) -> SigningKey:
    """Write a new key readable by its owner only. Refuses to overwrite: a new key would make every member's
    pinned key fail, and they must hear of a new key from the liaison, not from a failed check. The key is
    written whole to a temporary file first and then linked into place, so a process starting at the same
    moment sees no file or the whole key, never half of one."""
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() or path.is_symlink():
        raise CoalitionKeyError(f"{path} already exists; it is not replaced.")
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, path)  # fails if another process linked its key first
        except FileExistsError:
            raise CoalitionKeyError(f"{path} already exists; it is not replaced.") from None
    finally:
        partial.unlink(missing_ok=True)
    return SigningKey(key)


def read_key_file(path: Path) -> SigningKey:
    problem = exposure(path)
    if problem:
        raise CoalitionKeyError(problem)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CoalitionKeyError(f"Cannot read {path}: {error.strerror}.") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise CoalitionKeyError(f"{path} is not an unencrypted PKCS#8 PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CoalitionKeyError(f"{path} is not an Ed25519 key.")
    return SigningKey(key)


def signing_key(*, create: bool) -> SigningKey:
    """The configured key. With `create`, a missing file is made first (never in production: a key made there by
    accident would be one nobody backed up, so production needs `manage.py coalition_key` on purpose)."""
    from django.conf import settings

    path = payments_conf.coalition_key_file()
    if create and not settings.PRODUCTION and not path.exists():
        try:
            return create_key_file(path)
        except CoalitionKeyError:
            pass  # another process made it in between: read that one
    return read_key_file(path)


def public_key_or_none() -> SigningKey | None:
    """The key for showing its public half on a page, or None when there is no usable key yet (no file made)."""
    try:
        return read_key_file(payments_conf.coalition_key_file())
    except CoalitionKeyError:
        return None
