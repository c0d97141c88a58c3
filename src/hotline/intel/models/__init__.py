"""The intel app's models, one module per part: hash lists and known-URL lists, payment indicators."""

from hotline.intel.models.hashlists import (
    SELF_REPORTED_KEY,
    HashEntry,
    HashList,
    HashType,
    ImportState,
    KnownUrlEntry,
    KnownUrlList,
    ListClassification,
    ListImport,
    ListMatch,
    MatchKind,
    TrustLevel,
    UrlListVersion,
)
from hotline.intel.models.payments import (
    CoalitionExport,
    PaymentIndicator,
    PaymentIndicatorKind,
    PaymentIndicatorSighting,
    ReviewState,
)

__all__ = [
    "SELF_REPORTED_KEY",
    "CoalitionExport",
    "HashEntry",
    "HashList",
    "HashType",
    "ImportState",
    "KnownUrlEntry",
    "KnownUrlList",
    "ListClassification",
    "ListImport",
    "ListMatch",
    "MatchKind",
    "PaymentIndicator",
    "PaymentIndicatorKind",
    "PaymentIndicatorSighting",
    "ReviewState",
    "TrustLevel",
    "UrlListVersion",
]
