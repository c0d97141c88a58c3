"""Refusals of the payment indicator pages, and the people's words for each refusal code of the library core."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from hotline.core.errors import Conflict, DomainError, NotFound
from hotline.intel.core.errors import InvalidIndicator


class PaymentIndicatorError(DomainError):
    """An indicator value, or an action on one, is refused (400)."""


class PaymentIndicatorNotFound(NotFound):
    pass


class CoalitionExportRefused(Conflict):
    """An export cannot be published now (no key, nothing included)."""


def _n(params: Mapping[str, Any], name: str) -> Any:
    return params.get(name, "?")


# One translated message per code that hotline.intel.core.payments raises (a test reads the codes from its source).
# The core's English `message` is not shown: some carry a library's own wording ("{reason}"), which no catalogue has.
MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "not_text": lambda p: _("Enter the indicator as text."),
    "empty": lambda p: _("The indicator is empty: enter what the payment page shows."),
    "too_long": lambda p: _("This is longer than %(limit)s characters.") % {"limit": _n(p, "limit")},
    "inner_space": lambda p: (
        _("An address has no spaces: character %(position)s is a space.") % {"position": _n(p, "position")}
    ),
    "bad_bitcoin_address": lambda p: _(
        "This is not a valid Bitcoin address: its checksum or format is wrong. Copy it again from the page."
    ),
    "bitcoin_private_key": lambda p: _(
        "This is a Bitcoin private key, not an address. Do not store it: enter the address that receives payments."
    ),
    "bitcoin_regtest": lambda p: _("This is a regtest address, which exists only on one test machine."),
    "bad_ethereum_address": lambda p: (
        _("An Ethereum address is 0x followed by 40 hex digits (0-9, a-f); this one has %(count)s characters after 0x.")
        % {"count": _n(p, "count")}
    ),
    "ethereum_call_link": lambda p: _(
        "This payment link calls a contract function; enter the address that receives the payment instead."
    ),
    "ethereum_checksum": lambda p: _(
        "The mixed upper and lower case of this Ethereum address does not match its EIP-55 checksum: "
        "a character was probably mistyped."
    ),
    "bad_monero_address": lambda p: _(
        "This is not a valid Monero address (a Monero address has 95 characters, 106 for an integrated address, "
        "and a checksum). Copy it again from the page."
    ),
    "bad_crypto_address": lambda p: _(
        "A cryptocurrency address is 10 to 256 letters, digits and punctuation, without spaces."
    ),
    "iban_country": lambda p: (
        _("An IBAN starts with a country code that uses IBANs; '%(country)s' does not.") % {"country": _n(p, "country")}
    ),
    "iban_length": lambda p: (
        _("An IBAN of this country has %(expected)s characters; this one has %(actual)s.")
        % {"expected": _n(p, "expected"), "actual": _n(p, "actual")}
    ),
    "iban_checksum": lambda p: _("The check digits of this IBAN do not match: a character was probably mistyped."),
    "iban_structure": lambda p: _("This IBAN has letters or digits where its country's format does not allow them."),
    "bad_domain": lambda p: _("Enter a domain name such as pay.example.com, or a web address with one."),
    "domain_is_ip": lambda p: _("This is an IP address; a payment page domain is a name such as pay.example.com."),
    "unknown_kind": lambda p: _("Choose what kind of indicator this is."),
    "network_not_allowed": lambda p: _("Only an address of another cryptocurrency takes a network."),
}


def indicator_message(error: InvalidIndicator) -> str:
    """What the person who typed the value reads (in the request's language)."""
    message = MESSAGES.get(error.code)
    return message(error.params) if message else _("This indicator is not valid.")
