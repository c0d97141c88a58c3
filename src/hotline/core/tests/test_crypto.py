"""Field encryption: round trips, key rotation, tamper detection, and no plaintext in raw rows."""

from __future__ import annotations

import base64
import os

import pytest

from hotline.core import crypto
from hotline.core.crypto import DecryptionError, Keyring, KeyringError


def spec(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def test_round_trip_and_context_binding() -> None:
    ring = Keyring.parse(spec("k1"))
    token = ring.encrypt("https://host.example/secret-path", context="cases.report.description")
    assert "host.example" not in token
    assert ring.decrypt(token, context="cases.report.description") == "https://host.example/secret-path"
    with pytest.raises(DecryptionError):
        ring.decrypt(token, context="cases.report.contact")  # cannot be moved to another column


def test_tampered_value_is_refused() -> None:
    ring = Keyring.parse(spec("k1"))
    token = ring.encrypt("text", context="c")
    prefix, kid, b64 = token.split(":")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(raw)).decode()}", context="c")


def test_old_keys_still_decrypt_after_rotation() -> None:
    old, new = spec("old1"), spec("new2")
    token = Keyring.parse(old).encrypt("value", context="c")
    ring = Keyring.parse(f"{new},{old}")
    assert ring.active_id == "new2"
    assert ring.decrypt(token, context="c") == "value"
    assert Keyring.key_id_of(ring.encrypt("value", context="c")) == "new2"


@pytest.mark.parametrize(
    "bad", ["", "nokey", "k1:notbase64!!", f"k1:{base64.b64encode(b'short').decode()}", f"{spec('a')},{spec('a')}"]
)
def test_bad_keyring_specs_are_refused(bad: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.parse(bad)


def test_blind_index_is_keyed_and_purpose_bound(settings) -> None:  # type: ignore[no-untyped-def]
    a = crypto.blind_index("https://host.example/", purpose="url")
    assert a == crypto.blind_index("https://host.example/", purpose="url")
    assert a != crypto.blind_index("https://host.example/", purpose="email")
    settings.HOTLINE_INDEX_KEY = "another-key"
    crypto._purpose_key.cache_clear()
    assert a != crypto.blind_index("https://host.example/", purpose="url")
