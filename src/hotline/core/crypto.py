"""Field encryption (AES-256-GCM with a rotating keyring) and keyed blind indexes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc1"


class KeyringError(Exception):
    """The configured HOTLINE_DATA_KEYS cannot be used."""


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@dataclass(frozen=True)
class Keyring:
    """Keys by id; the first key encrypts, every key decrypts (so old values stay readable)."""

    keys: dict[str, bytes]
    active_id: str

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        keys: dict[str, bytes] = {}
        active = ""
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not kid.isalnum():
                raise KeyringError("HOTLINE_DATA_KEYS entries look like 'id:base64key' with a letters-and-digits id.")
            try:
                key = base64.b64decode(b64, validate=True)
            except ValueError as exc:
                raise KeyringError(f"Key {kid!r} in HOTLINE_DATA_KEYS is not valid base64.") from exc
            if len(key) != 32:
                raise KeyringError(f"Key {kid!r} in HOTLINE_DATA_KEYS must be 32 bytes (AES-256).")
            if kid in keys:
                raise KeyringError(f"Key id {kid!r} appears twice in HOTLINE_DATA_KEYS.")
            keys[kid] = key
            active = active or kid
        if not keys:
            raise KeyringError("HOTLINE_DATA_KEYS holds no key.")
        return cls(keys=keys, active_id=active)

    def _cipher(self, kid: str) -> AESGCM:
        """One AESGCM object per key, made once (building it costs as much as sealing a short value)."""
        ciphers = self.__dict__.setdefault("_ciphers", {})
        cipher = ciphers.get(kid)
        if cipher is None:
            cipher = ciphers[kid] = AESGCM(self.keys[kid])
        return cipher

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._cipher(self.active_id).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}:{self.active_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            prefix, kid, b64 = token.split(":", 2)
        except ValueError as exc:
            raise DecryptionError("Not an encrypted value.") from exc
        if prefix != PREFIX or kid not in self.keys:
            raise DecryptionError(f"No configured key with id {kid!r}.")
        raw = base64.b64decode(b64)
        try:
            return self._cipher(kid).decrypt(raw[:12], raw[12:], context.encode()).decode()
        except Exception as exc:  # InvalidTag: wrong key, tampered value or wrong column
            raise DecryptionError("The value does not decrypt (tampered or wrong key).") from exc

    @staticmethod
    def key_id_of(token: str) -> str:
        return token.split(":", 2)[1]


@lru_cache(maxsize=4)
def _keyring_for(spec: str) -> Keyring:
    return Keyring.parse(spec)


def keyring() -> Keyring:
    return _keyring_for(settings.HOTLINE_DATA_KEYS)


def encrypt(plaintext: str, *, context: str) -> str:
    return keyring().encrypt(plaintext, context=context)


def decrypt(token: str, *, context: str) -> str:
    return keyring().decrypt(token, context=context)


class IndexPurpose(StrEnum):
    """Every blind index there is. Each purpose derives its own key, so an index of emails can never be
    compared with one of URLs. The values are part of the stored indexes: never change one."""

    CASE_URL = "case_url"  # cases.Case.url_index: the canonical URL (the search finds a case by it)
    REPORTED_URL = "reported_url"  # cases.ReportedUrl.url_index: the URL as the reporter sent it
    RECEIPT = "receipt"  # cases.Report.receipt_index: the reporter's 16-digit receipt
    STAFF_RECOVERY_CODE = "staff-recovery-code"  # staff two-factor recovery codes (stored as this hash)
    SIGNATURE_EMAIL = "campaigns.signature.email"  # one signature per email and petition
    SUBSCRIBER_EMAIL = "campaigns.subscriber.email"  # one newsletter subscription per email
    RATE_LIMIT = "ratelimit"  # rate-limit counters (qualified by limit and window: keys never repeat)


@lru_cache(maxsize=64)
def _purpose_key(master: str, purpose: str) -> bytes:
    return hmac.new(master.encode(), f"hotline-blind-index:{purpose}".encode(), hashlib.sha256).digest()


def blind_index(value: str, *, purpose: IndexPurpose, qualifier: str = "") -> str:
    """Keyed hash (HMAC-SHA256) for exact lookups of an encrypted value; the key is not in the database.

    `qualifier` derives one more key under the purpose (rate limits: one per limit and window).
    """
    if not isinstance(purpose, IndexPurpose):
        raise TypeError("blind_index() takes an IndexPurpose, so every purpose is written down once")
    key = _purpose_key(settings.HOTLINE_INDEX_KEY, f"{purpose.value}:{qualifier}" if qualifier else purpose.value)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
