"""Payment indicators against the published test vectors (BIP-173, BIP-350, Bitcoin Core, EIP-55, Monero, IBAN
registry), and the cleaning of text indicators and domains."""

from __future__ import annotations

import pytest

from hotline.intel.core import (
    Indicator,
    IndicatorKind,
    InvalidIndicator,
    encodings,
    monero_standard_address,
    normalise_indicator,
)
from hotline.intel.core.payments import (
    ethereum_checksum_address,
    normalise_bitcoin_address,
    normalise_card_scheme,
    normalise_ethereum_address,
    normalise_iban,
    normalise_merchant_descriptor,
    normalise_monero_address,
    normalise_other_crypto_address,
    normalise_payment_domain,
    normalise_payment_provider,
)
from hotline.intel.core.tests.vectors import load

BITCOIN = load("base58_bitcoin")
BIP173 = load("bip173")
BIP350 = load("bip350")
EIP55 = load("eip55")
MONERO = load("monero")
IBANS = load("iban")
NETWORK = {"main": "mainnet", "testnet4": "testnet", "signet": "testnet", "regtest": "testnet"}


def refused(call: object, *args: object, **kwargs: object) -> InvalidIndicator:
    with pytest.raises(InvalidIndicator) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


# --- Bitcoin ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("address", "script", "chain"), BITCOIN["valid_addresses"])
def test_bitcoin_core_addresses(address: str, script: str, chain: str) -> None:
    if address.startswith("bcrt1"):
        assert refused(normalise_bitcoin_address, address).code == "bitcoin_regtest"
        return
    indicator = normalise_bitcoin_address(address)
    assert indicator.kind is IndicatorKind.BITCOIN
    assert indicator.network == NETWORK[chain]
    expected_subtype = {"76a9": "p2pkh", "a914": "p2sh", "0014": "p2wpkh", "0020": "p2wsh", "5120": "p2tr"}.get(
        script[:4], f"witness_v{int(script[:2], 16) - 0x50}"
    )
    assert indicator.subtype == expected_subtype
    assert (
        indicator.value == indicator.key == (address.lower() if address.lower().startswith(("bc1", "tb1")) else address)
    )


@pytest.mark.parametrize(("address", "script"), BIP350["valid_addresses"])
def test_bip350_addresses_are_valid_and_lower_cased(address: str, script: str) -> None:
    indicator = normalise_bitcoin_address(address)
    assert indicator.value == address.lower()
    assert indicator.network == ("mainnet" if address.lower().startswith("bc1") else "testnet")


@pytest.mark.parametrize(("address", "reason"), BIP173["invalid_addresses"] + BIP350["invalid_addresses"])
def test_invalid_segwit_addresses_of_the_bips_are_refused(address: str, reason: str) -> None:
    assert refused(normalise_bitcoin_address, address).code == "bad_bitcoin_address"


@pytest.mark.parametrize(("address", "script"), [v for v in BIP173["valid_addresses"] if not v[1].startswith("00")])
def test_bip173_examples_of_later_witness_versions_are_refused_since_bip350(address: str, script: str) -> None:
    error = refused(normalise_bitcoin_address, address)
    assert "bech32m" in error.message


@pytest.mark.parametrize("text", [t for t in BITCOIN["invalid"] if t])
def test_bitcoin_core_invalid_strings_are_refused(text: str) -> None:
    refused(normalise_bitcoin_address, text)


@pytest.mark.parametrize("key", BITCOIN["private_keys"])
def test_private_keys_are_refused_without_being_repeated(key: str) -> None:
    error = refused(normalise_bitcoin_address, key)
    assert error.code in ("bitcoin_private_key", "bad_bitcoin_address")
    assert key not in error.message
    if key[0] in "5K":  # mainnet WIF: version byte 0x80
        assert error.code == "bitcoin_private_key"


def test_bitcoin_payment_links_and_messages() -> None:
    address = BIP350["valid_addresses"][0][0]
    assert normalise_bitcoin_address(f" bitcoin:{address}?amount=0.1&label=x ").value == address.lower()
    assert refused(normalise_bitcoin_address, "").code == "empty"
    assert refused(normalise_bitcoin_address, "1FsSia9rv4Ne EwvJ2GvXrX7LyxYspbN2mo").code == "inner_space"
    message = refused(normalise_bitcoin_address, "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2m0").message
    assert message == "This is not a valid Bitcoin address: character 34 ('0') is not used in base58."
    litecoin = encodings.segwit_encode("ltc", 0, bytes(20))  # well formed, but Litecoin's prefix
    assert refused(normalise_bitcoin_address, litecoin).message == (
        "This is not a Bitcoin address: it starts with 'ltc1', Bitcoin's start with bc1 (tb1 on testnet)."
    )


def test_an_address_of_another_currency_with_a_valid_checksum_is_refused() -> None:
    # base58check with Litecoin's P2PKH version byte 0x30: checksum right, version not Bitcoin's.
    address = encodings.b58check_encode(bytes([0x30]) + bytes(range(20)))
    assert refused(normalise_bitcoin_address, address).code == "bad_bitcoin_address"


# --- Ethereum ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("address", EIP55["all_caps"] + EIP55["all_lower"] + EIP55["normal"])
def test_eip55_vectors(address: str) -> None:
    assert ethereum_checksum_address(address[2:]) == address
    for written in (address, address.lower(), "0x" + address[2:].upper(), address[2:], "0X" + address[2:].lower()):
        indicator = normalise_ethereum_address(written)
        assert indicator.value == address
        assert indicator.key == address.lower()


@pytest.mark.parametrize("address", EIP55["normal"])
def test_mixed_case_that_breaks_the_checksum_is_refused(address: str) -> None:
    position = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    wrong = address[:position] + address[position].swapcase() + address[position + 1 :]
    assert refused(normalise_ethereum_address, wrong).code == "ethereum_checksum"


def test_ethereum_format_and_payment_links() -> None:
    address = EIP55["normal"][0]
    assert normalise_ethereum_address(f"ethereum:{address}@1?value=1e18").value == address
    assert normalise_ethereum_address(f"ethereum:pay-{address.lower()}").value == address
    assert refused(normalise_ethereum_address, f"ethereum:{address}/transfer?address=0x1").code == "ethereum_call_link"
    error = refused(normalise_ethereum_address, address[:-1])
    assert error.code == "bad_ethereum_address" and "39 characters" in error.message
    assert refused(normalise_ethereum_address, address[:-1] + "g").code == "bad_ethereum_address"


# --- Monero -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("wallet", MONERO["wallets"])
def test_monero_wallets_standard_and_integrated(wallet: dict[str, str]) -> None:
    standard = normalise_monero_address(wallet["address"])
    assert (standard.network, standard.subtype, standard.value) == (wallet["network"], "standard", wallet["address"])
    _, payload = encodings.monero_decode_address(wallet["address"])
    assert payload.hex() == wallet["spend_key"] + wallet["view_key"]
    integrated = normalise_monero_address(f"monero:{wallet['integrated']}?tx_amount=1")
    assert (integrated.network, integrated.subtype) == (wallet["network"], "integrated")
    assert encodings.monero_decode_address(wallet["integrated"])[1][64:].hex() == wallet["payment_id"]
    assert monero_standard_address(integrated) == wallet["address"]
    with pytest.raises(ValueError):
        monero_standard_address(standard)


def test_monero_subaddresses_and_the_unit_test_wallet() -> None:
    assert normalise_monero_address(MONERO["mainnet_standard"]).subtype == "standard"
    for address in MONERO["mainnet_subaddresses"]:
        indicator = normalise_monero_address(address)
        assert (indicator.network, indicator.subtype) == ("mainnet", "subaddress")
    keys = MONERO["wallet_keys"]
    assert encodings.monero_decode_address(keys["address"]) == (18, bytes.fromhex(keys["spend_and_view_public_keys"]))
    assert normalise_monero_address(keys["address"]).subtype == "standard"


def test_monero_refusals_from_the_monero_unit_tests() -> None:
    keys = bytes.fromhex(MONERO["wallet_keys"]["spend_and_view_public_keys"])
    address = MONERO["wallet_keys"]["address"]
    assert refused(normalise_monero_address, "0" + address[1:]).code == "bad_monero_address"  # invalid format
    assert "network tag 0" in refused(normalise_monero_address, encodings.monero_encode_address(0, keys)).message
    bad_spend = encodings.monero_encode_address(18, b"\0" + keys[1:])
    assert "not valid public keys" in refused(normalise_monero_address, bad_spend).message
    bad_view = encodings.monero_encode_address(18, keys[:-1] + b"\x01")
    assert "not valid public keys" in refused(normalise_monero_address, bad_view).message
    changed = address[:-1] + ("c" if address[-1] != "c" else "d")
    assert "checksum" in refused(normalise_monero_address, changed).message
    assert "95 characters" in refused(normalise_monero_address, address[:-1]).message
    # A standard tag with an integrated payload (106 characters) is refused too.
    mixed = encodings.monero_encode_address(18, keys + bytes(8))
    assert refused(normalise_monero_address, mixed).code == "bad_monero_address"


# --- other cryptocurrencies -------------------------------------------------------------------------------
def test_other_crypto_keeps_the_address_and_names_the_network() -> None:
    indicator = normalise_indicator("other_crypto", " TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE ", network=" TRON  (TRC-20) ")
    assert indicator.value == "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    assert indicator.network == "TRON (TRC-20)"
    assert indicator.key == "tron (trc-20):TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    assert refused(normalise_other_crypto_address, "short", network="x").code == "bad_crypto_address"
    assert refused(normalise_other_crypto_address, "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", network="").code == "empty"
    assert refused(normalise_indicator, "bitcoin", BIP350["valid_addresses"][0][0], network="x").code == (
        "network_not_allowed"
    )


# --- IBAN -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("iban", IBANS["valid"])
def test_iban_registry_examples(iban: str) -> None:
    indicator = normalise_iban(iban)
    compact = iban.replace(" ", "")
    assert (indicator.value, indicator.key, indicator.display, indicator.subtype) == (
        compact,
        compact,
        iban,
        compact[:2],
    )
    assert normalise_iban(f"IBAN: {compact.lower()}").value == compact


@pytest.mark.parametrize(("iban", "code"), IBANS["invalid"])
def test_invalid_ibans(iban: str, code: str) -> None:
    assert refused(normalise_iban, iban).code == code


def test_iban_length_message_names_the_country_length() -> None:
    error = refused(normalise_iban, "DE89 3704 0044 0532 0130")
    assert error.message == "An IBAN of this country has 22 characters; this one has 20."


# --- text indicators --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "value"),
    [
        (" amex ", "American Express"),
        ("AMERICAN  EXPRESS", "American Express"),
        ("Master-Card", "Mastercard"),
        ("MC", "Mastercard"),
        ("visa", "Visa"),
        ("China UnionPay", "UnionPay"),
        ("Carte Bancaire", "Cartes Bancaires"),
        ("Some Local Scheme", "Some Local Scheme"),
    ],
)
def test_card_schemes_get_one_spelling(given: str, value: str) -> None:
    indicator = normalise_card_scheme(given)
    assert indicator.value == value
    assert indicator.key == value.casefold()


def test_merchant_descriptor_and_provider_are_cleaned_text() -> None:
    descriptor = normalise_merchant_descriptor("  paypal *Shop\u00a0Name\t\x00\u200b 4029357733 ")
    assert descriptor.value == "PAYPAL *SHOP NAME 4029357733"
    assert normalise_merchant_descriptor("ＡＢＣ").value == "ABC"  # NFKC: full-width letters
    provider = normalise_payment_provider("  Example   Pay\n")
    assert (provider.value, provider.key) == ("Example Pay", "example pay")
    assert refused(normalise_merchant_descriptor, "\x00 \u200b").code == "empty"
    assert refused(normalise_merchant_descriptor, "x" * 101).code == "too_long"
    assert refused(normalise_payment_provider, 5).code == "not_text"


# --- payment page domain ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "value", "display"),
    [
        ("pay.example.test", "pay.example.test", "pay.example.test"),
        ("https://Pay.Example.TEST:8443/checkout?order=1", "pay.example.test", "pay.example.test"),
        ("PAY.BÜCHER.example.", "pay.xn--bcher-kva.example", "pay.bücher.example"),
        ("//xn--bcher-kva.example/x", "xn--bcher-kva.example", "bücher.example"),
        ("user@faß.example", "xn--fa-hia.example", "faß.example"),
    ],
)
def test_domains_become_a_labels(given: str, value: str, display: str) -> None:
    indicator = normalise_payment_domain(given)
    assert (indicator.value, indicator.display) == (value, display)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("192.0.2.10", "domain_is_ip"),
        ("https://[2001:db8::1]/pay", "domain_is_ip"),
        ("localhost", "bad_domain"),
        ("exa mple.test", "bad_domain"),
        ("-bad.example", "bad_domain"),
        ("a..example", "bad_domain"),
        ("https:///path", "bad_domain"),
        ("example.123", "bad_domain"),
        ("x" * 64 + ".example", "bad_domain"),
    ],
)
def test_bad_domains(given: str, code: str) -> None:
    assert refused(normalise_payment_domain, given).code == code


def test_dispatch_by_kind() -> None:
    assert normalise_indicator("iban", "GB29 NWBK 6016 1331 9268 19") == normalise_iban("GB29NWBK60161331926819")
    assert isinstance(normalise_indicator(IndicatorKind.CARD_SCHEME, "visa"), Indicator)
    assert refused(normalise_indicator, "paypal_me", "x").code == "unknown_kind"
