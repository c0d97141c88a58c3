"""Hash types Hotline is given (MD5, SHA-1, SHA-256 exact; PDQ with its quality): parsing, normal form, distance.

Hotline never computes a hash of media: every value here arrives from a partner, a list or an analyst, so the
parser is strict and says exactly what is wrong. The normal form of every type is lowercase hexadecimal.

Accepted spellings:
- hexadecimal in either case, with surrounding whitespace (dropped); nothing else inside the value;
- SHA-1 also in base32 (32 letters A-Z and digits 2-7, optionally prefixed `urn:sha1:`), the encoding peer-to-peer
  networks (Gnutella, eDonkey's AICH) use and in which P2P investigation hash sets therefore often list SHA-1.
Other encodings (base64 of MD5 as in HTTP's Content-MD5, PhotoDNA's base64 vectors) are refused: no list format
Hotline imports carries them for these types, and guessing an encoding would turn a typing error into a wrong hash.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from hotline.intel.core.errors import InvalidHash

PDQ_BITS = 256
PDQ_QUALITY_MAX = 100
# ThreatExchange's PDQ matchers (and Meta's HMA) use 31 as the default near-match distance.
PDQ_DEFAULT_THRESHOLD = 31


class HashType(StrEnum):
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    PDQ = "pdq"

    @property
    def digest_size(self) -> int:
        """Bytes in a value of this type."""
        return _DIGEST_SIZE[self]

    @property
    def hex_length(self) -> int:
        return 2 * _DIGEST_SIZE[self]

    @property
    def is_exact(self) -> bool:
        """True for cryptographic hashes (equal or not); False for PDQ (compared by distance)."""
        return self is not HashType.PDQ

    @property
    def label(self) -> str:
        return _LABEL[self]

    @property
    def a_label(self) -> str:
        """'An MD5', 'A SHA-1': the label with its article, to start a sentence."""
        return ("An " if self is HashType.MD5 else "A ") + _LABEL[self]


_DIGEST_SIZE = {HashType.MD5: 16, HashType.SHA1: 20, HashType.SHA256: 32, HashType.PDQ: 32}
_LABEL = {HashType.MD5: "MD5", HashType.SHA1: "SHA-1", HashType.SHA256: "SHA-256", HashType.PDQ: "PDQ"}
_TYPE_NAMES = {
    "md5": HashType.MD5,
    "sha1": HashType.SHA1,
    "sha-1": HashType.SHA1,
    "sha256": HashType.SHA256,
    "sha-256": HashType.SHA256,
    "pdq": HashType.PDQ,
}
_HEX = re.compile(r"[0-9a-f]+")
_HEX_ANY_CASE = re.compile(r"[0-9a-fA-F]+")
_NOT_HEX = re.compile(r"[^0-9a-fA-F]")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")
_URN_SHA1 = "urn:sha1:"


@dataclass(frozen=True, slots=True)
class HashValue:
    """One hash in normal form. Build it with `parse_hash` from anything typed or imported; the constructor checks
    the normal form (lowercase hex of the right length) and refuses anything else."""

    type: HashType
    hex: str
    quality: int | None = None  # PDQ only: the hasher's 0-100 confidence that the image had enough detail

    def __post_init__(self) -> None:
        if not isinstance(self.type, HashType):
            raise TypeError(f"type must be a HashType, not {type(self.type).__name__}")
        if len(self.hex) != self.type.hex_length or not _HEX.fullmatch(self.hex):
            raise InvalidHash(
                "not_normal_form",
                "{value!r} is not a {label} hash in normal form.",
                value=self.hex,
                label=self.type.label,
            )
        if self.quality is not None:
            if self.type is not HashType.PDQ:
                raise InvalidHash("quality_not_pdq", "Only a PDQ hash has a quality.")
            if isinstance(self.quality, bool) or not isinstance(self.quality, int):
                raise TypeError("quality must be an int or None")
            _check_quality_range(self.quality)

    @property
    def digest(self) -> bytes:
        return bytes.fromhex(self.hex)

    def distance(self, other: HashValue | str) -> int:
        """Hamming distance (number of differing bits) to another PDQ hash."""
        if self.type is not HashType.PDQ:
            raise InvalidHash(
                "distance_not_pdq",
                "Only PDQ hashes have a distance; {label} hashes are equal or not.",
                label=self.type.label,
            )
        other_hex = other.hex if isinstance(other, HashValue) else parse_hash(HashType.PDQ, other).hex
        return hamming_distance_hex(self.hex, other_hex)

    def __str__(self) -> str:
        return self.hex

    @classmethod
    def _checked(cls, hash_type: HashType, hex_value: str, quality: int | None) -> HashValue:
        # parse_hash has already established the normal form; skipping __post_init__'s second check makes list
        # imports ~30 % faster (measured with bench/intel.py's parser rows, CPU time).
        value = object.__new__(cls)
        object.__setattr__(value, "type", hash_type)
        object.__setattr__(value, "hex", hex_value)
        object.__setattr__(value, "quality", quality)
        return value


def parse_hash_type(text: str) -> HashType:
    """'MD5', 'sha-1', ' SHA256 ', 'pdq' -> HashType."""
    found = _TYPE_NAMES.get(text) if isinstance(text, str) else None
    if found is None and isinstance(text, str):
        found = _TYPE_NAMES.get(text.strip().lower())
    if found is None:
        raise InvalidHash("unknown_type", "{value!r} is not a hash type: use md5, sha1, sha256 or pdq.", value=text)
    return found


def parse_hash(hash_type: HashType | str, value: str, *, quality: object = None) -> HashValue:
    """Parse a hash as a person or a list wrote it, or say exactly why not (InvalidHash with a code)."""
    kind = hash_type if isinstance(hash_type, HashType) else parse_hash_type(hash_type)
    if not isinstance(value, str):
        raise InvalidHash("not_text", "A hash must be text, not {kind}.", kind=type(value).__name__)
    text = value.strip()
    if not text:
        raise InvalidHash("empty", "The hash is empty.")
    if len(text) == kind.hex_length and _HEX_ANY_CASE.fullmatch(text):
        normal = text.lower()  # the fast path of every well-formed row
    else:
        decoded = _sha1_base32(text) if kind is HashType.SHA1 else None
        if decoded is None:
            raise _explain(kind, text)
        normal = decoded
    parsed_quality = None if quality is None or quality == "" else parse_pdq_quality(quality)
    if parsed_quality is not None and kind is not HashType.PDQ:
        raise InvalidHash("quality_not_pdq", "Only a PDQ hash has a quality.")
    return HashValue._checked(kind, normal, parsed_quality)


def _sha1_base32(text: str) -> str | None:
    body = text[len(_URN_SHA1) :] if text[: len(_URN_SHA1)].lower() == _URN_SHA1 else text
    if not _BASE32.fullmatch(body):
        if body is not text:
            raise InvalidHash("bad_base32", "After 'urn:sha1:' a SHA-1 has 32 base32 characters (A-Z, 2-7).")
        return None
    try:
        return base64.b32decode(body.upper()).hex()
    except binascii.Error:  # pragma: no cover - 32 characters of the alphabet always decode to 20 bytes
        return None


def _explain(kind: HashType, text: str) -> InvalidHash:
    bad = _NOT_HEX.search(text)
    if bad is not None:
        char = bad.group()
        shown = "a space" if char.isspace() else repr(char)
        return InvalidHash(
            "not_hex",
            "{a_label} hash is written in hex digits (0-9, a-f): character {position} is {char}.",
            a_label=kind.a_label,
            position=bad.start() + 1,
            char=shown,
        )
    other = [t.label for t in HashType if t.hex_length == len(text) and t is not kind]
    hint = f" (that is the length of {' or '.join(other)})" if other else ""
    return InvalidHash(
        "wrong_length",
        "{a_label} hash has {expected} hex digits; this one has {actual}{hint}.",
        a_label=kind.a_label,
        expected=kind.hex_length,
        actual=len(text),
        hint=hint,
    )


def parse_pdq_quality(value: object) -> int | None:
    """A PDQ quality as lists write it: an integer 0-100 (or its text); None or '' when the list gives none."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidHash("bad_quality", "The PDQ quality must be a whole number from 0 to 100.")
    if isinstance(value, int):
        return _check_quality_range(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.isascii() and text.isdigit():
            return _check_quality_range(int(text))
    raise InvalidHash("bad_quality", "The PDQ quality must be a whole number from 0 to 100.")


def _check_quality_range(quality: int) -> int:
    if not 0 <= quality <= PDQ_QUALITY_MAX:
        raise InvalidHash("quality_out_of_range", "The PDQ quality must be from 0 to 100, not {value}.", value=quality)
    return quality


def hamming_distance(a: bytes, b: bytes) -> int:
    """Number of differing bits between two equally long byte strings."""
    if len(a) != len(b):
        raise ValueError("hashes of different lengths have no Hamming distance")
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def hamming_distance_hex(a: str, b: str) -> int:
    if len(a) != len(b):
        raise ValueError("hashes of different lengths have no Hamming distance")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def pdq_distance(a: HashValue | str, b: HashValue | str) -> int:
    """Hamming distance of two PDQ hashes given as HashValue or hex text."""
    first = a if isinstance(a, HashValue) else parse_hash(HashType.PDQ, a)
    return first.distance(b)
