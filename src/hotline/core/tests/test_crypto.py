"""Field encryption: round trips, key rotation, tamper detection, and no plaintext in raw rows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest

from hotline.core import crypto
from hotline.core.crypto import DecryptionError, IndexPurpose, Keyring, KeyringError


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
    "bad",
    ["", "nokey", "k1:notbase64!!", f"k1:{base64.b64encode(b'short').decode()}", f"{spec('a')},{spec('a')}"],
    # Fixed ids: a random key in an id would make each pytest-xdist worker collect a different test.
    ids=["empty", "no-key", "not-base64", "short-key", "repeated-key-id"],
)
def test_bad_keyring_specs_are_refused(bad: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.parse(bad)


def test_blind_index_is_keyed_and_purpose_bound(settings) -> None:  # type: ignore[no-untyped-def]
    a = crypto.blind_index("https://host.example/", purpose=IndexPurpose.REPORTED_URL)
    assert a == crypto.blind_index("https://host.example/", purpose=IndexPurpose.REPORTED_URL)
    assert a != crypto.blind_index("https://host.example/", purpose=IndexPurpose.SUBSCRIBER_EMAIL)
    assert a != crypto.blind_index("https://host.example/", purpose=IndexPurpose.CASE_URL)
    settings.HOTLINE_INDEX_KEY = "another-key"
    crypto._purpose_key.cache_clear()
    assert a != crypto.blind_index("https://host.example/", purpose=IndexPurpose.REPORTED_URL)


# The purposes' texts are part of every stored index: changing one would make every lookup miss.
STORED_PURPOSES = {
    IndexPurpose.CASE_URL: "case_url",
    IndexPurpose.REPORTED_URL: "reported_url",
    IndexPurpose.RECEIPT: "receipt",
    IndexPurpose.STAFF_RECOVERY_CODE: "staff-recovery-code",
    IndexPurpose.SIGNATURE_EMAIL: "campaigns.signature.email",
    IndexPurpose.SUBSCRIBER_EMAIL: "campaigns.subscriber.email",
    IndexPurpose.RATE_LIMIT: "ratelimit",
}


def test_every_purpose_keeps_the_key_its_stored_indexes_were_made_with(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_INDEX_KEY = "pinned-test-key"
    assert set(STORED_PURPOSES) == set(IndexPurpose)

    def by_hand(value: str, purpose_text: str) -> str:
        key = hmac.new(b"pinned-test-key", f"hotline-blind-index:{purpose_text}".encode(), hashlib.sha256).digest()
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    for purpose, text in STORED_PURPOSES.items():
        assert crypto.blind_index("1234567890123456", purpose=purpose) == by_hand("1234567890123456", text)
    qualified = crypto.blind_index("198.51.100.0/24", purpose=IndexPurpose.RATE_LIMIT, qualifier="submit:42")
    assert qualified == by_hand("198.51.100.0/24", "ratelimit:submit:42")


def test_blind_index_takes_only_a_declared_purpose() -> None:
    with pytest.raises(TypeError, match="IndexPurpose"):
        crypto.blind_index("https://host.example/", purpose="url")  # type: ignore[arg-type]
