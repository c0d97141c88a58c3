"""The intel library core (no Django): hash types, the PDQ near-match index, hash list files, payment indicators.

The Django app builds on these names; they are the stable surface (modules may move behind them).
"""

from hotline.intel.core.errors import InvalidHash, InvalidIndicator, InvalidValue
from hotline.intel.core.hashes import (
    PDQ_DEFAULT_THRESHOLD,
    HashType,
    HashValue,
    hamming_distance,
    parse_hash,
    parse_hash_type,
    parse_pdq_quality,
    pdq_distance,
)
from hotline.intel.core.listfile import HashRow, RowError, read_hash_csv, read_hash_json
from hotline.intel.core.payments import (
    Indicator,
    IndicatorKind,
    monero_standard_address,
    normalise_indicator,
)

__all__ = [
    "PDQ_DEFAULT_THRESHOLD",
    "HashRow",
    "HashType",
    "HashValue",
    "Indicator",
    "IndicatorKind",
    "InvalidHash",
    "InvalidIndicator",
    "InvalidValue",
    "RowError",
    "hamming_distance",
    "monero_standard_address",
    "normalise_indicator",
    "parse_hash",
    "parse_hash_type",
    "parse_pdq_quality",
    "pdq_distance",
    "read_hash_csv",
    "read_hash_json",
]
