"""Keys: ids, fingerprints read aloud, JWK form, PEM and key files."""

from __future__ import annotations

import base64
import os
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hotline.network.protocol import (
    KeyFileError,
    KeyFormatError,
    fingerprint,
    fingerprints_match,
    generate_private_key,
    key_file_exposure,
    key_id,
    load_private_key_pem,
    load_public_key_pem,
    normalize_fingerprint,
    private_key_to_pem,
    public_jwk,
    public_key_from_jwk,
    public_key_to_pem,
    read_private_key,
    write_private_key,
)

from .rfc_vectors import RFC9421_KEY_PEM


@pytest.fixture
def key():
    return generate_private_key()


def test_a_fingerprint_is_eight_groups_of_four_base32_characters(key):
    text = fingerprint(key.public_key())
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", text)


def test_the_fingerprint_of_the_rfc9421_test_key_is_fixed():
    # Pinned so a change of the id or fingerprint rule cannot pass unnoticed: partners compare these by
    # phone. The key id is also the keyid the web-bot-auth drafts' examples give this RFC key.
    key = load_public_key_pem(RFC9421_KEY_PEM)
    assert fingerprint(key) == fingerprint(load_private_key_pem(RFC9421_KEY_PEM).public_key())
    assert fingerprint(key) == normalize_fingerprint(fingerprint(key))
    assert key_id(key) == "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"
    assert fingerprint(key) == "U2FK ILDI WKNB 7VWS 4P5D 3ELQ 7HN5 5T3U"
    # The fingerprint is the first 20 bytes of the same thumbprint, in base32.
    thumb = base64.urlsafe_b64decode(key_id(key) + "=")
    assert fingerprint(key).replace(" ", "") == base64.b32encode(thumb[:20]).decode()


def test_a_fingerprint_read_back_in_any_spelling_matches(key):
    text = fingerprint(key.public_key())
    assert fingerprints_match(key.public_key(), text.lower())
    assert fingerprints_match(key.public_key(), text.replace(" ", "-"))
    assert fingerprints_match(key.public_key(), text.replace(" ", ""))
    assert not fingerprints_match(generate_private_key().public_key(), text)
    assert not fingerprints_match(key.public_key(), text[:-1])


def test_keys_have_distinct_ids_and_fingerprints():
    keys = [generate_private_key().public_key() for _ in range(20)]
    assert len({key_id(k) for k in keys}) == 20
    assert len({fingerprint(k) for k in keys}) == 20


def test_the_jwk_round_trips(key):
    jwk = public_jwk(key.public_key())
    assert set(jwk) == {"kty", "crv", "kid", "x"}
    assert jwk["kid"] == key_id(key.public_key())
    assert public_key_to_pem(public_key_from_jwk(jwk)) == public_key_to_pem(key.public_key())


@pytest.mark.parametrize(
    "change",
    [
        {"kid": "another-id"},
        {"kty": "EC"},
        {"crv": "Ed448"},
        {"x": "short"},
        {"x": "not base64url!"},
        {"d": "private part"},
    ],
)
def test_a_bad_jwk_is_refused(key, change):
    with pytest.raises(KeyFormatError):
        public_key_from_jwk(public_jwk(key.public_key()) | change)


def test_a_jwk_without_x_is_refused(key):
    jwk = public_jwk(key.public_key())
    del jwk["x"]
    with pytest.raises(KeyFormatError):
        public_key_from_jwk(jwk)


def test_pem_round_trip_and_other_key_types_refused(key):
    assert private_key_to_pem(load_private_key_pem(private_key_to_pem(key))) == private_key_to_pem(key)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFormatError):
        load_private_key_pem(ec_pem)
    with pytest.raises(KeyFormatError):
        load_public_key_pem(
            ec_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    with pytest.raises(KeyFormatError):
        load_private_key_pem(b"not a key")


def test_a_key_file_is_written_for_its_owner_only_and_never_overwritten(tmp_path, key):
    path = tmp_path / "var" / "network.key"
    write_private_key(path, key)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert key_file_exposure(path) is None
    assert private_key_to_pem(read_private_key(path)) == private_key_to_pem(key)
    with pytest.raises(FileExistsError):
        write_private_key(path, generate_private_key())
    assert private_key_to_pem(read_private_key(path)) == private_key_to_pem(key)


def test_an_exposed_or_missing_key_file_is_reported(tmp_path, key):
    path = tmp_path / "network.key"
    assert "does not exist" in key_file_exposure(path)
    with pytest.raises(KeyFileError):
        read_private_key(path)
    write_private_key(path, key)
    path.chmod(0o644)
    assert "0600" in key_file_exposure(path)
    path.chmod(0o640)
    assert "group or others" in key_file_exposure(path)
    assert "not a regular file" in key_file_exposure(tmp_path)
