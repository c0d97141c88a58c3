"""Receipt codes: 16 random digits shown once, kept only as a keyed hash (HMAC-SHA256, see docs/security.md).

Why not argon2: a receipt has 10^16 possible values (not a human-chosen password), the hash key is
not in the database (so a stolen database alone cannot be searched offline), and online guessing is
rate-limited per client; argon2 would add ~225 ms to every public report for no gain in that model.
"""

from __future__ import annotations

import re
import secrets

from hotline.cases import blind_indexes

DIGITS = 16
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
# Arabic-Indic and Extended Arabic-Indic (Persian, Dari) digits -> ASCII.
_TO_ASCII = {ord(c): str(i) for block in ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹") for i, c in enumerate(block)}


def new_receipt() -> str:
    """16 uniformly random digits from the OS CSPRNG."""
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def format_receipt(code: str) -> str:
    """'1234567890123456' -> '1234 5678 9012 3456' (groups of four, easy to read aloud and copy)."""
    digits = normalise(code)
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def normalise(code: str) -> str:
    """Remove spaces and dashes people type or copy between groups, and the invisible direction marks a copy
    from a right-to-left page can carry; digits of other scripts become 0-9 (an Arabic or Dari keyboard
    types ٠١٢٣ or ۰۱۲۳)."""
    return _SEPARATORS.sub("", code or "").translate(_TO_ASCII)


def is_well_formed(code: str) -> bool:
    digits = normalise(code)
    return len(digits) == DIGITS and digits.isascii() and digits.isdigit()


def receipt_index(code: str) -> str:
    """Keyed hash of the normalised receipt: what Report.receipt_index holds and what lookups compare."""
    return blind_indexes.receipt_index(normalise(code))
