"""Payment indicators seen on commercial sites: validation and normal form, one pure function per kind.

Every `normalise_*` function takes what an analyst typed or pasted and returns an `Indicator` (the normal form to
store, compare and deduplicate on) or raises `InvalidIndicator` with a stable code and a plain message. Nothing here
looks anything up on a network: a valid address is one that is well formed with a correct checksum, not one that
has been used.

- Bitcoin: base58check P2PKH/P2SH (Bitcoin Core's version bytes) and segwit addresses, bech32 for version 0 and
  bech32m for versions 1-16 (BIP-173, BIP-350); mainnet (`bc`) and testnet/signet (`tb`); regtest is refused.
- Ethereum: 0x + 40 hex digits; a mixed-case address must carry a correct EIP-55 checksum, an all-lower or all-upper
  one is accepted and given its checksum case.
- Monero: standard, integrated and subaddress formats of mainnet, testnet and stagenet (network tag, length,
  Keccak-256 checksum, and both public keys points of Ed25519 as Monero's wallet checks).
- Other cryptocurrencies: the address as text (no spaces) with the network named by the analyst.
- IBAN: schwifty (country length and structure from the SWIFT registry, ISO 7064 check digits).
- Card scheme, merchant descriptor, payment provider: cleaned text (Unicode NFKC, no control characters, single
  spaces); well-known card schemes are given one spelling so that 'amex' and 'American Express' are one indicator.
- Payment page domain: the host of a URL or a domain name, as IDNA A-labels (IDNA 2008 with UTS 46 mapping).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import idna
from Crypto.Signature import eddsa  # nosec B413  # pycryptodome (maintained), not the old PyCrypto
from schwifty import IBAN
from schwifty import exceptions as iban_errors

from hotline.intel.core import encodings
from hotline.intel.core.errors import InvalidIndicator


class IndicatorKind(StrEnum):
    BITCOIN = "bitcoin"
    ETHEREUM = "ethereum"
    MONERO = "monero"
    OTHER_CRYPTO = "other_crypto"
    IBAN = "iban"
    CARD_SCHEME = "card_scheme"
    MERCHANT_DESCRIPTOR = "merchant_descriptor"
    PAYMENT_PROVIDER = "payment_provider"
    PAYMENT_DOMAIN = "payment_domain"


@dataclass(frozen=True, slots=True)
class Indicator:
    """A validated indicator. (kind, key) identifies it across cases; `value` is what to store and export,
    `display` what to show a person; `network` and `subtype` say what the value is (e.g. 'mainnet', 'p2wpkh')."""

    kind: IndicatorKind
    value: str
    key: str
    display: str
    network: str = ""
    subtype: str = ""


def _indicator(
    kind: IndicatorKind,
    value: str,
    *,
    key: str | None = None,
    display: str | None = None,
    network: str = "",
    subtype: str = "",
) -> Indicator:
    return Indicator(
        kind, value, value if key is None else key, value if display is None else display, network, subtype
    )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidIndicator("not_text", "The {what} must be text.", what=what)
    text = value.strip()
    if not text:
        raise InvalidIndicator("empty", "The {what} is empty.", what=what)
    return text


def _without_uri_scheme(text: str, scheme: str) -> str:
    """'bitcoin:ADDRESS?amount=1' -> 'ADDRESS' (BIP-21, Monero's and EIP-681's payment links start the same way)."""
    if text[: len(scheme) + 1].lower() == scheme + ":":
        text = text[len(scheme) + 1 :].lstrip("/")
        text = text.split("?", 1)[0]
    return text


def _no_inner_space(text: str, what: str) -> None:
    space = next((i for i, c in enumerate(text) if c.isspace()), None)
    if space is not None:
        raise InvalidIndicator(
            "inner_space", "A {what} has no spaces: character {position} is a space.", what=what, position=space + 1
        )


# --- Bitcoin ----------------------------------------------------------------------------------------------
_BASE58_VERSIONS = {
    0x00: ("mainnet", "p2pkh"),
    0x05: ("mainnet", "p2sh"),
    0x6F: ("testnet", "p2pkh"),
    0xC4: ("testnet", "p2sh"),
}
_SEGWIT_NETWORKS = {"bc": "mainnet", "tb": "testnet"}
_LOOKS_BECH32 = re.compile(r"[a-z]{1,20}1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{6,}")


def normalise_bitcoin_address(value: object) -> Indicator:
    text = _without_uri_scheme(_text(value, "Bitcoin address"), "bitcoin")
    _no_inner_space(text, "Bitcoin address")
    lowered = text.lower()
    if lowered.startswith(("bc1", "tb1", "bcrt1")) or _LOOKS_BECH32.fullmatch(lowered):
        return _segwit_address(text)
    try:
        payload = encodings.b58check_decode(text)
    except ValueError as error:
        raise InvalidIndicator(
            "bad_bitcoin_address", "This is not a valid Bitcoin address: {reason}.", reason=str(error)
        ) from None
    if len(payload) != 21 or payload[0] not in _BASE58_VERSIONS:
        if payload[:1] in (b"\x80", b"\xef"):
            raise InvalidIndicator(
                "bitcoin_private_key",
                "This is a Bitcoin private key, not an address: do not "
                "store it; enter the address that receives payments.",
            )
        raise InvalidIndicator(
            "bad_bitcoin_address",
            "This is not a Bitcoin address: its checksum is right but its "
            "version or length belongs to another kind of value (another currency?).",
        )
    network, subtype = _BASE58_VERSIONS[payload[0]]
    return _indicator(IndicatorKind.BITCOIN, text, network=network, subtype=subtype)


def _segwit_address(text: str) -> Indicator:
    try:
        hrp, version, program = encodings.segwit_decode(text)
    except ValueError as error:
        raise InvalidIndicator(
            "bad_bitcoin_address", "This is not a valid Bitcoin address: {reason}.", reason=str(error)
        ) from None
    if hrp == "bcrt":
        raise InvalidIndicator("bitcoin_regtest", "This is a regtest address, which exists only on one test machine.")
    network = _SEGWIT_NETWORKS.get(hrp)
    if network is None:
        raise InvalidIndicator(
            "bad_bitcoin_address",
            "This is not a Bitcoin address: it starts with '{hrp}1', Bitcoin's start with bc1 (tb1 on testnet).",
            hrp=hrp,
        )
    if version == 0:
        subtype = "p2wpkh" if len(program) == 20 else "p2wsh"
    elif version == 1 and len(program) == 32:
        subtype = "p2tr"
    else:
        subtype = f"witness_v{version}"
    return _indicator(IndicatorKind.BITCOIN, text.lower(), network=network, subtype=subtype)


# --- Ethereum ---------------------------------------------------------------------------------------------
_ETH_HEX = re.compile(r"[0-9a-fA-F]{40}")


def ethereum_checksum_address(hex40: str) -> str:
    """EIP-55: a hex letter is upper case where the matching nibble of keccak256(lowercase hex) is 8 or more."""
    lower = hex40.lower()
    digest = encodings.keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(lower, digest, strict=False))


def normalise_ethereum_address(value: object) -> Indicator:
    text = _text(value, "Ethereum address")
    if text[:9].lower() == "ethereum:":
        text = text[9:].split("?", 1)[0]
        text = text.removeprefix("pay-").split("@", 1)[0]
        if "/" in text:
            raise InvalidIndicator(
                "ethereum_call_link",
                "This payment link calls a contract function; enter the address that receives the payment instead.",
            )
    _no_inner_space(text, "Ethereum address")
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if not _ETH_HEX.fullmatch(body):
        raise InvalidIndicator(
            "bad_ethereum_address",
            "An Ethereum address is 0x followed by 40 hex digits (0-9, a-f); this one has {count} characters after 0x.",
            count=len(body),
        )
    checksummed = ethereum_checksum_address(body)
    if body not in (body.lower(), body.upper()) and "0x" + body != checksummed:
        raise InvalidIndicator(
            "ethereum_checksum",
            "The mixed upper and lower case of this Ethereum address does "
            "not match its EIP-55 checksum: a character was probably mistyped.",
        )
    return _indicator(IndicatorKind.ETHEREUM, checksummed, key=checksummed.lower())


# --- Monero -----------------------------------------------------------------------------------------------
_MONERO_TAGS = {
    18: ("mainnet", "standard"),
    19: ("mainnet", "integrated"),
    42: ("mainnet", "subaddress"),
    53: ("testnet", "standard"),
    54: ("testnet", "integrated"),
    63: ("testnet", "subaddress"),
    24: ("stagenet", "standard"),
    25: ("stagenet", "integrated"),
    36: ("stagenet", "subaddress"),
}
_MONERO_STANDARD_TAG = {"mainnet": 18, "testnet": 53, "stagenet": 24}
_MONERO_LENGTHS = {"standard": (95, 64), "subaddress": (95, 64), "integrated": (106, 72)}


def normalise_monero_address(value: object) -> Indicator:
    text = _without_uri_scheme(_text(value, "Monero address"), "monero")
    _no_inner_space(text, "Monero address")
    if len(text) not in (95, 106):
        raise InvalidIndicator(
            "bad_monero_address",
            "A Monero address has 95 characters (106 for an integrated address); this one has {count}.",
            count=len(text),
        )
    try:
        tag, payload = encodings.monero_decode_address(text)
    except ValueError as error:
        raise InvalidIndicator(
            "bad_monero_address", "This is not a valid Monero address: {reason}.", reason=str(error)
        ) from None
    if tag not in _MONERO_TAGS:
        raise InvalidIndicator(
            "bad_monero_address",
            "This is not a Monero address: its network tag {tag} is not Monero's (another CryptoNote currency?).",
            tag=tag,
        )
    network, subtype = _MONERO_TAGS[tag]
    length, payload_length = _MONERO_LENGTHS[subtype]
    if len(text) != length or len(payload) != payload_length:
        raise InvalidIndicator(
            "bad_monero_address", "This Monero {subtype} address has the wrong length.", subtype=subtype
        )
    for key in (payload[:32], payload[32:64]):
        try:
            eddsa.import_public_key(key)
        except ValueError:
            raise InvalidIndicator(
                "bad_monero_address", "This is not a valid Monero address: its keys are not valid public keys."
            ) from None
    return _indicator(IndicatorKind.MONERO, text, network=network, subtype=subtype)


def monero_standard_address(integrated: Indicator) -> str:
    """The standard address of the wallet an integrated address pays into (the same keys without the payment ID):
    one wallet seen with many payment IDs is one indicator."""
    if integrated.kind is not IndicatorKind.MONERO or integrated.subtype != "integrated":
        raise ValueError("only an integrated Monero address has a standard address inside it")
    _, payload = encodings.monero_decode_address(integrated.value)
    return encodings.monero_encode_address(_MONERO_STANDARD_TAG[integrated.network], payload[:64])


# --- other cryptocurrencies -------------------------------------------------------------------------------
_PRINTABLE_ASCII = re.compile(r"[!-~]+")


def normalise_other_crypto_address(value: object, *, network: object) -> Indicator:
    """An address of a currency Hotline does not validate, kept exactly as written, with its network."""
    text = _text(value, "address")
    _no_inner_space(text, "cryptocurrency address")
    if not _PRINTABLE_ASCII.fullmatch(text) or not 10 <= len(text) <= 256:
        raise InvalidIndicator(
            "bad_crypto_address",
            "A cryptocurrency address is 10 to 256 letters, digits and punctuation, without spaces.",
        )
    network_name = clean_text(network, what="network", max_length=50)
    return _indicator(IndicatorKind.OTHER_CRYPTO, text, key=f"{network_name.casefold()}:{text}", network=network_name)


# --- IBAN -------------------------------------------------------------------------------------------------
_IBAN_PREFIX = re.compile(r"^iban\s*:?\s*", re.IGNORECASE)


def normalise_iban(value: object) -> Indicator:
    """Validated with schwifty: country, length and BBAN structure of the SWIFT IBAN registry and the ISO 7064
    mod-97 check digits (which catch every single mistyped character and swapped neighbours). National check
    digits inside the BBAN are not checked: their rules depend on bank registries that age, and refusing a real
    account number seen on a payment page would be worse than the rare typing error they would add to catch."""
    text = _IBAN_PREFIX.sub("", _text(value, "IBAN"))
    try:
        iban = IBAN(text)
    except iban_errors.InvalidCountryCode:
        raise InvalidIndicator(
            "iban_country",
            "An IBAN starts with a country code that uses IBANs; '{country}' does not.",
            country=text[:2].upper(),
        ) from None
    except iban_errors.InvalidLength:
        expected = _iban_length(text)
        raise InvalidIndicator(
            "iban_length",
            "An IBAN of this country has {expected} characters; this one has {actual}.",
            expected=expected,
            actual=len(re.sub(r"\s", "", text)),
        ) from None
    except iban_errors.InvalidChecksumDigits:
        raise InvalidIndicator(
            "iban_checksum", "The check digits of this IBAN do not match: a character was probably mistyped."
        ) from None
    except iban_errors.SchwiftyException:
        raise InvalidIndicator(
            "iban_structure", "This IBAN has letters or digits where its country's format does not allow them."
        ) from None
    return _indicator(IndicatorKind.IBAN, iban.compact, display=iban.formatted, subtype=iban.country_code)


def _iban_length(text: str) -> int | str:
    try:
        return int(IBAN(text, allow_invalid=True).spec.iban_length)
    except Exception:
        return "a fixed number of"


# --- text indicators --------------------------------------------------------------------------------------
_SPACES = re.compile(r"\s+")


def clean_text(value: object, *, what: str = "text", max_length: int = 100) -> str:
    """NFKC, control and format characters removed, runs of whitespace made one space, trimmed."""
    if not isinstance(value, str):
        raise InvalidIndicator("not_text", "The {what} must be text.", what=what)
    normal = unicodedata.normalize("NFKC", value)
    kept = "".join(" " if c.isspace() else c for c in normal if c.isspace() or unicodedata.category(c)[0] != "C")
    text = _SPACES.sub(" ", kept).strip()
    if not text:
        raise InvalidIndicator("empty", "The {what} is empty.", what=what)
    if len(text) > max_length:
        raise InvalidIndicator("too_long", "The {what} is longer than {limit} characters.", what=what, limit=max_length)
    return text


CARD_SCHEMES = (
    "Visa",
    "Mastercard",
    "American Express",
    "Discover",
    "JCB",
    "UnionPay",
    "Diners Club",
    "Maestro",
    "Mir",
    "RuPay",
    "Elo",
    "Interac",
    "Cartes Bancaires",
    "Dankort",
    "Troy",
    "Verve",
    "BC Card",
)
_CARD_ALIASES = {
    **{name.casefold(): name for name in CARD_SCHEMES},
    "master card": "Mastercard",
    "mc": "Mastercard",
    "mastercard worldwide": "Mastercard",
    "amex": "American Express",
    "american express card": "American Express",
    "discover card": "Discover",
    "discover global network": "Discover",
    "china unionpay": "UnionPay",
    "union pay": "UnionPay",
    "cup": "UnionPay",
    "diners": "Diners Club",
    "diners club international": "Diners Club",
    "cb": "Cartes Bancaires",
    "carte bancaire": "Cartes Bancaires",
    "visa inc": "Visa",
}
_NOT_WORD = re.compile(r"[^\w ]+")


def normalise_card_scheme(value: object) -> Indicator:
    text = clean_text(value, what="card scheme", max_length=50)
    known = _CARD_ALIASES.get(_SPACES.sub(" ", _NOT_WORD.sub(" ", text)).strip().casefold())
    name = known or text
    return _indicator(IndicatorKind.CARD_SCHEME, name, key=name.casefold())


def normalise_merchant_descriptor(value: object) -> Indicator:
    """The merchant name on a card statement. Statements print it in capitals, so the normal form is upper case."""
    text = clean_text(value, what="merchant descriptor", max_length=100).upper()
    return _indicator(IndicatorKind.MERCHANT_DESCRIPTOR, text, key=text.casefold())


def normalise_payment_provider(value: object) -> Indicator:
    text = clean_text(value, what="payment provider", max_length=100)
    return _indicator(IndicatorKind.PAYMENT_PROVIDER, text, key=text.casefold())


# --- payment page domain ----------------------------------------------------------------------------------
def normalise_payment_domain(value: object) -> Indicator:
    """A domain name, or the host of a URL (scheme, port, path and query dropped), in IDNA A-labels."""
    text = _text(value, "domain")
    try:
        host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    except ValueError:
        host = ""
    host = host.rstrip(".")
    if not host:
        raise InvalidIndicator("bad_domain", "Enter a domain name such as pay.example.com, or a URL with one.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise InvalidIndicator(
            "domain_is_ip", "This is an IP address; a payment page domain is a name such as pay.example.com."
        )
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii").lower()
    except idna.IDNAError as error:
        raise InvalidIndicator("bad_domain", "This is not a valid domain name: {reason}.", reason=str(error)) from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        raise InvalidIndicator("bad_domain", "A domain name has at least two parts, such as example.com.")
    if len(ascii_host) > 253:
        raise InvalidIndicator("bad_domain", "A domain name has at most 253 characters.")
    return _indicator(IndicatorKind.PAYMENT_DOMAIN, ascii_host, display=idna.decode(ascii_host))


# --- one entry point --------------------------------------------------------------------------------------
_NORMALISERS: dict[IndicatorKind, Callable[[object], Indicator]] = {
    IndicatorKind.BITCOIN: normalise_bitcoin_address,
    IndicatorKind.ETHEREUM: normalise_ethereum_address,
    IndicatorKind.MONERO: normalise_monero_address,
    IndicatorKind.IBAN: normalise_iban,
    IndicatorKind.CARD_SCHEME: normalise_card_scheme,
    IndicatorKind.MERCHANT_DESCRIPTOR: normalise_merchant_descriptor,
    IndicatorKind.PAYMENT_PROVIDER: normalise_payment_provider,
    IndicatorKind.PAYMENT_DOMAIN: normalise_payment_domain,
}


def normalise_indicator(kind: IndicatorKind | str, value: object, *, network: object = None) -> Indicator:
    """Dispatch on the kind; `network` is required for OTHER_CRYPTO and refused for every other kind."""
    try:
        indicator_kind = IndicatorKind(kind)
    except ValueError:
        raise InvalidIndicator("unknown_kind", "{kind!r} is not a kind of payment indicator.", kind=kind) from None
    if indicator_kind is IndicatorKind.OTHER_CRYPTO:
        return normalise_other_crypto_address(value, network=network)
    if network not in (None, ""):
        raise InvalidIndicator("network_not_allowed", "Only an address of another cryptocurrency takes a network.")
    return _NORMALISERS[indicator_kind](value)
