"""Blind indexes of the cases app's own columns: the one formulation of each, used by whoever writes or
looks up those columns (intake stores reports, cases searches them)."""

from __future__ import annotations

from hotline.core.crypto import IndexPurpose, blind_index


def url_index(url: str) -> str:
    """Blind index of a URL exactly as reported (ReportedUrl.url_index)."""
    return blind_index(url, purpose=IndexPurpose.REPORTED_URL)


def receipt_index(digits: str) -> str:
    """Blind index of a receipt's 16 digits, without the spaces or dashes people type (Report.receipt_index).
    intake.receipts.receipt_index takes a code as typed."""
    return blind_index(digits, purpose=IndexPurpose.RECEIPT)
