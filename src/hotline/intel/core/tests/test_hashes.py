"""Hash types: parsing to normal form, the messages of refusals, PDQ quality and distance."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.intel.core import HashType, HashValue, InvalidHash, hamming_distance, parse_hash, parse_hash_type
from hotline.intel.core.hashes import parse_pdq_quality, pdq_distance

EMPTY_MD5 = hashlib.md5(b"").hexdigest()
EMPTY_SHA1 = hashlib.sha1(b"").hexdigest()
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"  # made up


@pytest.mark.parametrize(
    ("kind", "text", "normal"),
    [
        ("md5", EMPTY_MD5.upper(), EMPTY_MD5),
        ("MD5", f"  {EMPTY_MD5}\t\n", EMPTY_MD5),
        ("sha-1", EMPTY_SHA1, EMPTY_SHA1),
        ("SHA1", EMPTY_SHA1.upper(), EMPTY_SHA1),
        ("sha256", EMPTY_SHA256, EMPTY_SHA256),
        ("SHA-256", EMPTY_SHA256.upper(), EMPTY_SHA256),
        ("pdq", PDQ.upper(), PDQ),
    ],
)
def test_hex_in_any_case_with_surrounding_space_is_normalised(kind: str, text: str, normal: str) -> None:
    value = parse_hash(kind, text)
    assert value.hex == normal
    assert str(value) == normal
    assert value.type is parse_hash_type(kind)
    assert value.digest == bytes.fromhex(normal)


def test_sha1_in_base32_as_peer_to_peer_networks_write_it() -> None:
    digest = hashlib.sha1(b"").digest()
    encoded = base64.b32encode(digest).decode()
    assert parse_hash("sha1", encoded).hex == EMPTY_SHA1
    assert parse_hash("sha1", encoded.lower()).hex == EMPTY_SHA1
    assert parse_hash("sha1", f"urn:sha1:{encoded}").hex == EMPTY_SHA1
    with pytest.raises(InvalidHash) as refused:
        parse_hash("sha1", "urn:sha1:" + encoded[:-1])
    assert refused.value.code == "bad_base32"
    # base32 is SHA-1 only: the same text is not an MD5 (which is 32 hex digits, and these are not all hex).
    with pytest.raises(InvalidHash):
        parse_hash("md5", encoded)


@pytest.mark.parametrize(
    ("kind", "text", "code", "message"),
    [
        ("md5", EMPTY_MD5[:-1], "wrong_length", "An MD5 hash has 32 hex digits; this one has 31."),
        (
            "md5",
            EMPTY_SHA1,
            "wrong_length",
            "An MD5 hash has 32 hex digits; this one has 40 (that is the length of SHA-1).",
        ),
        (
            "sha256",
            EMPTY_MD5,
            "wrong_length",
            "A SHA-256 hash has 64 hex digits; this one has 32 (that is the length of MD5).",
        ),
        ("pdq", EMPTY_SHA256[:63], "wrong_length", "A PDQ hash has 64 hex digits; this one has 63."),
        ("md5", "g" + EMPTY_MD5[1:], "not_hex", "An MD5 hash is written in hex digits (0-9, a-f): character 1 is 'g'."),
        (
            "md5",
            EMPTY_MD5[:10] + " " + EMPTY_MD5[11:],
            "not_hex",
            "An MD5 hash is written in hex digits (0-9, a-f): character 11 is a space.",
        ),
        (
            "sha256",
            "0x" + EMPTY_SHA256[2:],
            "not_hex",
            "A SHA-256 hash is written in hex digits (0-9, a-f): character 2 is 'x'.",
        ),
        ("md5", "   ", "empty", "The hash is empty."),
    ],
)
def test_refusals_say_what_is_wrong(kind: str, text: str, code: str, message: str) -> None:
    with pytest.raises(InvalidHash) as refused:
        parse_hash(kind, text)
    assert refused.value.code == code
    assert refused.value.message == message
    assert str(refused.value) == message


def test_unknown_types_and_non_text_are_refused() -> None:
    with pytest.raises(InvalidHash, match="not a hash type") as refused:
        parse_hash("photodna", "00")
    assert refused.value.code == "unknown_type"
    with pytest.raises(InvalidHash) as refused:
        parse_hash("md5", 5)  # type: ignore[arg-type]
    assert refused.value.code == "not_text"


@pytest.mark.parametrize(("given", "expected"), [(None, None), ("", None), (" 90 ", 90), (0, 0), (100, 100), ("7", 7)])
def test_pdq_quality(given: object, expected: int | None) -> None:
    assert parse_pdq_quality(given) == expected
    assert parse_hash("pdq", PDQ, quality=given).quality == expected


@pytest.mark.parametrize("given", [-1, 101, "101", "9.5", 9.5, True, "ninety", "٩٠"])
def test_pdq_quality_out_of_range_or_not_a_whole_number_is_refused(given: object) -> None:
    with pytest.raises(InvalidHash) as refused:
        parse_hash("pdq", PDQ, quality=given)
    assert refused.value.code in ("bad_quality", "quality_out_of_range")


def test_only_pdq_has_a_quality_and_a_distance() -> None:
    with pytest.raises(InvalidHash) as refused:
        parse_hash("md5", EMPTY_MD5, quality=50)
    assert refused.value.code == "quality_not_pdq"
    with pytest.raises(InvalidHash) as refused:
        parse_hash("md5", EMPTY_MD5).distance(EMPTY_MD5)
    assert refused.value.code == "distance_not_pdq"


def test_the_constructor_accepts_only_the_normal_form() -> None:
    assert HashValue(HashType.MD5, EMPTY_MD5) == parse_hash("md5", EMPTY_MD5.upper())
    with pytest.raises(InvalidHash):
        HashValue(HashType.MD5, EMPTY_MD5.upper())
    with pytest.raises(InvalidHash):
        HashValue(HashType.SHA1, EMPTY_MD5)
    with pytest.raises(TypeError):
        HashValue("md5", EMPTY_MD5)  # type: ignore[arg-type]
    with pytest.raises(InvalidHash):
        HashValue(HashType.PDQ, PDQ, quality=101)


def test_hash_type_facts() -> None:
    assert [t.hex_length for t in HashType] == [32, 40, 64, 64]
    assert [t.is_exact for t in HashType] == [True, True, True, False]
    assert HashType.SHA256.label == "SHA-256"


def flip(hex_value: str, bits: list[int]) -> str:
    number = int(hex_value, 16)
    for bit in bits:
        number ^= 1 << bit
    return f"{number:064x}"


@given(st.lists(st.integers(min_value=0, max_value=255), unique=True, max_size=256))
def test_pdq_distance_counts_flipped_bits(bits: list[int]) -> None:
    other = flip(PDQ, bits)
    assert pdq_distance(PDQ, other) == len(bits)
    assert parse_hash("pdq", PDQ).distance(parse_hash("pdq", other)) == len(bits)
    assert hamming_distance(bytes.fromhex(PDQ), bytes.fromhex(other)) == len(bits)


def test_hamming_distance_needs_equal_lengths() -> None:
    with pytest.raises(ValueError):
        hamming_distance(b"\0", b"\0\0")


def test_the_library_core_imports_no_django() -> None:
    code = (
        "import sys, hotline.intel.core, hotline.intel.core.pdqindex, hotline.intel.core.payments, "
        "hotline.intel.core.listfile\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))"
    )
    src = Path(__file__).resolve().parents[4]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == ""
