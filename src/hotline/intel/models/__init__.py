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

__all__ = [
    "SELF_REPORTED_KEY",
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
    "TrustLevel",
    "UrlListVersion",
]
