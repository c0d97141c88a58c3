"""base58, base58check, Monero's base58 and bech32/bech32m against their published test vectors."""

from __future__ import annotations

import pytest

from hotline.intel.core import encodings
from hotline.intel.core.tests.vectors import base58_script, load, segwit_script

BITCOIN = load("base58_bitcoin")
BIP173 = load("bip173")
BIP350 = load("bip350")
MONERO = load("monero")


# --- Bitcoin base58 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("hex_data", "text"), BITCOIN["encode_decode"])
def test_base58_encode_and_decode_vectors(hex_data: str, text: str) -> None:
    data = bytes.fromhex(hex_data)
    assert encodings.b58encode(data) == text
    assert encodings.b58decode(text) == data


@pytest.mark.parametrize("char", ["0", "O", "I", "l", "+", " "])
def test_base58_refuses_characters_outside_its_alphabet(char: str) -> None:
    with pytest.raises(ValueError, match="not used in base58"):
        encodings.b58decode("2g" + char)


@pytest.mark.parametrize(("address", "script", "chain"), BITCOIN["valid_addresses"])
def test_base58check_addresses_decode_to_their_script(address: str, script: str, chain: str) -> None:
    if address.lower().startswith(("bc1", "tb1", "bcrt1")):
        hrp, version, program = encodings.segwit_decode(address)
        assert segwit_script(version, program) == script
        assert hrp == {"main": "bc", "testnet4": "tb", "signet": "tb", "regtest": "bcrt"}[chain]
        assert encodings.segwit_encode(hrp, version, program) == address.lower()
    else:
        payload = encodings.b58check_decode(address)
        assert base58_script(payload[0], payload[1:]) == script
        assert encodings.b58check_encode(payload) == address


def test_base58check_refuses_one_changed_character() -> None:
    address = BITCOIN["valid_addresses"][0][0]
    changed = address[:-1] + ("o" if address[-1] != "o" else "p")
    with pytest.raises(ValueError, match="checksum mismatch"):
        encodings.b58check_decode(changed)


# --- bech32 / bech32m --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "variant"),
    [(t, encodings.Bech32Variant.BECH32) for t in BIP173["valid_bech32"]]
    + [(t, encodings.Bech32Variant.BECH32M) for t in BIP350["valid_bech32m"]],
)
def test_valid_bech32_and_bech32m_checksums(text: str, variant: encodings.Bech32Variant) -> None:
    hrp, data, found = encodings.bech32_decode(text)
    assert found is variant
    assert encodings.bech32_encode(hrp, data, variant) == text.lower()
    # BIP-173's own check: flipping one bit of the first data character breaks the checksum.
    position = text.rfind("1") + 1
    broken = text[:position] + chr(ord(text[position]) ^ 1) + text[position + 1 :]
    with pytest.raises(ValueError):
        encodings.bech32_decode(broken)


@pytest.mark.parametrize(("text", "reason"), BIP173["invalid_bech32"] + BIP350["invalid_bech32m"])
def test_invalid_bech32_strings_are_refused(text: str, reason: str) -> None:
    # No string of either list is valid bech32 or bech32m, so the decoder (which accepts both) refuses each.
    with pytest.raises(ValueError):
        encodings.bech32_decode(text)


@pytest.mark.parametrize(("address", "script"), BIP350["valid_addresses"])
def test_bip350_valid_segwit_addresses(address: str, script: str) -> None:
    hrp, version, program = encodings.segwit_decode(address)
    assert hrp in ("bc", "tb")
    assert segwit_script(version, program) == script
    assert encodings.segwit_encode(hrp, version, program) == address.lower()


@pytest.mark.parametrize(("address", "script"), BIP173["valid_addresses"])
def test_bip173_valid_addresses_of_version_0_still_decode_and_later_versions_need_bech32m(
    address: str, script: str
) -> None:
    if script.startswith("00"):
        _, version, program = encodings.segwit_decode(address)
        assert segwit_script(version, program) == script
    else:
        with pytest.raises(ValueError, match="must use the bech32m checksum"):
            encodings.segwit_decode(address)


@pytest.mark.parametrize(("address", "reason"), BIP173["invalid_addresses"] + BIP350["invalid_addresses"])
def test_invalid_segwit_addresses_are_refused(address: str, reason: str) -> None:
    try:
        hrp, _, _ = encodings.segwit_decode(address)
    except ValueError:
        return
    # Decodes structurally: then only its human-readable part is wrong, which the Bitcoin validator refuses.
    assert reason == "Invalid human-readable part", address
    assert hrp not in ("bc", "tb")


@pytest.mark.parametrize(("hrp", "version", "length"), [("bc", 0, 21), ("bc", 17, 32), ("bc", 1, 1), ("bc", 16, 41)])
def test_segwit_encode_refuses_what_bip350_lists_as_unencodable(hrp: str, version: int, length: int) -> None:
    with pytest.raises(ValueError):
        encodings.segwit_encode(hrp, version, bytes(length))


# --- Monero base58 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("hex_block", "text"), MONERO["blocks"] + MONERO["encode"])
def test_monero_base58_vectors(hex_block: str, text: str) -> None:
    data = bytes.fromhex(hex_block)
    assert encodings.monero_b58encode(data) == text
    assert encodings.monero_b58decode(text) == data


@pytest.mark.parametrize("text", MONERO["decode_negative"])
def test_monero_base58_refuses_bad_lengths_overflows_and_characters(text: str) -> None:
    with pytest.raises(ValueError):
        encodings.monero_b58decode(text)


@pytest.mark.parametrize(("address", "tag", "hex_data"), MONERO["addresses"])
def test_monero_address_encoding_vectors(address: str, tag: int, hex_data: str) -> None:
    data = bytes.fromhex(hex_data)
    assert encodings.monero_encode_address(tag, data) == address
    assert encodings.monero_decode_address(address) == (tag, data)


@pytest.mark.parametrize("address", MONERO["address_negative"])
def test_monero_address_decoding_refuses_the_negative_vectors(address: str) -> None:
    with pytest.raises(ValueError):
        encodings.monero_decode_address(address)


def test_keccak256_is_the_original_keccak_not_sha3() -> None:
    # The empty-input digests differ: Keccak-256 c5d2..., NIST SHA3-256 a7ff....
    assert encodings.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
