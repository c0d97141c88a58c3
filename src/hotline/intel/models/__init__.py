"""The intel app's models, one module per part: hash lists and known-URL lists, payment indicators."""

from hotline.intel.models.payments import (
    CoalitionExport,
    PaymentIndicator,
    PaymentIndicatorKind,
    PaymentIndicatorSighting,
    ReviewState,
)

__all__ = [
    "CoalitionExport",
    "PaymentIndicator",
    "PaymentIndicatorKind",
    "PaymentIndicatorSighting",
    "ReviewState",
]
