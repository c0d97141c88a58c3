"""Builders shared by the payment indicator tests: commercial cases and published-vector indicator values."""

from __future__ import annotations

from typing import Any

from hotline.cases.factories import make_assessed_case
from hotline.cases.models import Case
from hotline.intel.core.tests.vectors import load

# Values from the published test vectors (intel/core/tests/data): BIP-173, EIP-55, Monero, the SWIFT IBAN registry.
BITCOIN = load("bip173")["valid_addresses"][0][0]  # BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4
ETHEREUM = load("eip55")["normal"][0]  # 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed
MONERO = load("monero")["mainnet_standard"]
IBAN = load("iban")["valid"][5]  # BE68 5390 0754 7034

CASE_DESCRIPTION = "A neutral test description of a commercial site."
CASE_CONTACT = "reporter@example.test"


def commercial_case(n: int = 1, **fields: Any) -> Case:
    return make_assessed_case(
        host=f"shop{n}.example.test",
        path=f"/gallery/{n}",
        commercial=True,
        description=CASE_DESCRIPTION,
        contact=CASE_CONTACT,
        **fields,
    )
