"""Address encodings of cryptocurrencies: Bitcoin's base58 and base58check, Monero's block-wise base58, bech32/bech32m.

Written from the specifications (Bitcoin's base58 as in Bitcoin Core, Monero's as in its `common/base58.cpp`, BIP-173
and BIP-350 for bech32 and bech32m) and tested against their published test vectors (tests/data/README.md).
Decoders return None or raise ValueError with a short reason; the validators in `payments` turn that into a message.
"""

from __future__ import annotations

import hashlib
from enum import Enum

from Crypto.Hash import keccak  # nosec B413  # pycryptodome (maintained), not the old PyCrypto

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {c: i for i, c in enumerate(BASE58_ALPHABET)}


# --- Bitcoin base58 ---------------------------------------------------------------------------------------
def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, digit = divmod(number, 58)
        out.append(BASE58_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Base58 text -> bytes (each leading '1' is a zero byte). ValueError names the first character outside the
    alphabet (0, O, I and l are left out of it on purpose, to avoid confusion)."""
    number = 0
    for position, char in enumerate(text):
        digit = _BASE58_INDEX.get(char)
        if digit is None:
            raise ValueError(f"character {position + 1} ({char!r}) is not used in base58")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def double_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + double_sha256(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """Base58check text -> payload (version byte included), or ValueError if the 4-byte checksum does not match."""
    raw = b58decode(text)
    if len(raw) < 5:
        raise ValueError("too short to carry a checksum")
    payload, checksum = raw[:-4], raw[-4:]
    if double_sha256(payload)[:4] != checksum:
        raise ValueError("checksum mismatch")
    return payload


# --- Monero base58: 8-byte blocks to 11 characters, the last block shorter ----------------------------------
_MONERO_FULL_BLOCK = 8
_MONERO_FULL_ENCODED = 11
_MONERO_ENCODED_SIZES = (0, 2, 3, 5, 6, 7, 9, 10, 11)  # characters for a block of 0..8 bytes
_MONERO_DECODED_SIZES = {size: n for n, size in enumerate(_MONERO_ENCODED_SIZES)}


def monero_b58encode(data: bytes) -> str:
    out = []
    for start in range(0, len(data), _MONERO_FULL_BLOCK):
        block = data[start : start + _MONERO_FULL_BLOCK]
        number = int.from_bytes(block, "big")
        chars = []
        for _ in range(_MONERO_ENCODED_SIZES[len(block)]):
            number, digit = divmod(number, 58)
            chars.append(BASE58_ALPHABET[digit])
        out.append("".join(reversed(chars)))
    return "".join(out)


def monero_b58decode(text: str) -> bytes:
    out = bytearray()
    for start in range(0, len(text), _MONERO_FULL_ENCODED):
        chunk = text[start : start + _MONERO_FULL_ENCODED]
        size = _MONERO_DECODED_SIZES.get(len(chunk))
        if not size:
            raise ValueError("its length is not one of Monero's base58 block lengths")
        number = 0
        for position, char in enumerate(chunk):
            digit = _BASE58_INDEX.get(char)
            if digit is None:
                raise ValueError(f"character {start + position + 1} ({char!r}) is not used in base58")
            number = number * 58 + digit
        if number >= 1 << (8 * size):
            raise ValueError("a block overflows its byte length")
        out += number.to_bytes(size, "big")
    return bytes(out)


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum and Monero use it (the original padding, not NIST SHA3-256)."""
    return keccak.new(digest_bits=256, data=data).digest()


def _varint_encode(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _varint_decode(data: bytes) -> tuple[int, int]:
    value = shift = 0
    for position, byte in enumerate(data[:10]):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and position:
                raise ValueError("the network tag is not in its shortest form")  # as Monero's read_varint refuses
            return value, position + 1
        shift += 7
    raise ValueError("the network tag is not a valid varint")


def monero_encode_address(tag: int, payload: bytes) -> str:
    data = _varint_encode(tag) + payload
    return monero_b58encode(data + keccak256(data)[:4])


def monero_decode_address(text: str) -> tuple[int, bytes]:
    """Monero address text -> (network tag, payload), checking the Keccak-256 checksum."""
    raw = monero_b58decode(text)
    if len(raw) < 5:
        raise ValueError("too short to carry a checksum")
    data, checksum = raw[:-4], raw[-4:]
    if keccak256(data)[:4] != checksum:
        raise ValueError("checksum mismatch")
    tag, used = _varint_decode(data)
    return tag, data[used:]


# --- bech32 and bech32m (BIP-173, BIP-350) -----------------------------------------------------------------
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32_CHARSET)}
_BECH32M_CONST = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
BECH32_MAX_LENGTH = 90


class Bech32Variant(Enum):
    BECH32 = 1
    BECH32M = _BECH32M_CONST


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_encode(hrp: str, data: list[int], variant: Bech32Variant) -> str:
    values = _hrp_expand(hrp) + data
    polymod = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ variant.value
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


def bech32_decode(text: str) -> tuple[str, list[int], Bech32Variant]:
    """Bech32 or bech32m text -> (human-readable part, 5-bit data without checksum, variant). ValueError otherwise."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise ValueError("it contains a character outside printable ASCII")
    if text.lower() != text and text.upper() != text:
        raise ValueError("it mixes upper and lower case")
    if len(text) > BECH32_MAX_LENGTH:
        raise ValueError(f"it is longer than {BECH32_MAX_LENGTH} characters")
    lowered = text.lower()
    separator = lowered.rfind("1")
    if separator < 1:
        raise ValueError("it has no human-readable part before the separator '1'")
    if separator + 7 > len(lowered):
        raise ValueError("its checksum is too short")
    hrp = lowered[:separator]
    data = []
    for position, char in enumerate(lowered[separator + 1 :], start=separator + 2):
        digit = _BECH32_INDEX.get(char)
        if digit is None:
            raise ValueError(f"character {position} ({char!r}) is not used in bech32")
        data.append(digit)
    check = _polymod(_hrp_expand(hrp) + data)
    for variant in Bech32Variant:
        if check == variant.value:
            return hrp, data[:-6], variant
    raise ValueError("checksum mismatch")


def convert_bits(data: list[int] | bytes, from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    """Regroup bits (8 -> 5 to encode, 5 -> 8 to decode); without pad, leftover bits must be fewer than from_bits and
    zero, as BIP-173 requires."""
    accumulator = bits = 0
    out = []
    top = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise ValueError("a value is out of range")
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((accumulator >> bits) & top)
    if pad:
        if bits:
            out.append((accumulator << (to_bits - bits)) & top)
    elif bits >= from_bits:
        raise ValueError("it has more than 4 bits of padding")
    elif (accumulator << (to_bits - bits)) & top:
        raise ValueError("its padding bits are not zero")
    return out


def segwit_decode(text: str) -> tuple[str, int, bytes]:
    """A segwit address -> (human-readable part, witness version, witness program), with every rule of BIP-173 and
    BIP-350: version 0 uses bech32 and a 20- or 32-byte program, versions 1-16 use bech32m and 2-40 bytes."""
    hrp, data, variant = bech32_decode(text)
    if not data:
        raise ValueError("its data part is empty")
    version = data[0]
    if version > 16:
        raise ValueError(f"witness version {version} does not exist (0 to 16)")
    program = bytes(convert_bits(data[1:], 5, 8, pad=False))
    if not 2 <= len(program) <= 40:
        raise ValueError(f"a witness program has 2 to 40 bytes, not {len(program)}")
    if version == 0 and len(program) not in (20, 32):
        raise ValueError(f"a version 0 witness program has 20 or 32 bytes, not {len(program)}")
    expected = Bech32Variant.BECH32 if version == 0 else Bech32Variant.BECH32M
    if variant is not expected:
        name = "bech32" if expected is Bech32Variant.BECH32 else "bech32m"
        raise ValueError(f"witness version {version} must use the {name} checksum")
    return hrp, version, program


def segwit_encode(hrp: str, version: int, program: bytes) -> str:
    variant = Bech32Variant.BECH32 if version == 0 else Bech32Variant.BECH32M
    text = bech32_encode(hrp, [version, *convert_bits(program, 8, 5, pad=True)], variant)
    segwit_decode(text)  # refuses what BIP-173 and BIP-350 refuse (wrong lengths and versions)
    return text
