"""One-time thank-you addresses: the receipt reaches the page after the report's redirect without being in a URL.

The report's POST answers 303 to /report/thanks/<token>/ (a refresh then asks for the thank-you page again,
never resends the report). The token is the receipt and the kind of report, sealed (AES-GCM, the data key of
HOTLINE_DATA_KEYS, its own context) with the time it was issued: not guessable, not readable without the
server's key, and refused after `conf.thanks_valid_seconds()`. It is shown once: the first GET counts it in
the shared counter table (the one atomic upsert of hotline.core.ratelimit, under a keyed hash of the token),
every later GET finds it counted. Nothing is written at the POST, so the form's measured fast path stays one
write. docs/security.md ("The thank-you address") gives the reasoning.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from hotline.core import crypto
from hotline.core import ratelimit as counters
from hotline.intake import conf

_CONTEXT = "intake.thanks"
_SCOPE = "intake.thanks"


@dataclass(frozen=True)
class Thanks:
    receipt: str  # 16 digits
    kind: str  # cases.ReportKind value, or "own_images"
    issued: int  # seconds since the epoch


def seal(*, receipt: str, kind: str, now: float | None = None) -> str:
    """The token of the thank-you address of one report (URL-safe, about 100 characters)."""
    issued = int(time.time() if now is None else now)
    sealed = crypto.encrypt(f"{issued}|{kind}|{receipt}", context=_CONTEXT)
    _prefix, kid, b64 = sealed.split(":", 2)
    raw = base64.b64decode(b64)
    return f"{kid}.{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def unseal(token: str, *, now: float | None = None) -> Thanks | None:
    """The report's receipt and kind, or None when the token is not one of ours or has expired."""
    kid, dot, body = (token or "").partition(".")
    if not dot or not kid.isalnum() or len(body) > 400:
        return None
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        plain = crypto.decrypt(f"{crypto.PREFIX}:{kid}:{base64.b64encode(raw).decode()}", context=_CONTEXT)
    except (binascii.Error, ValueError, crypto.DecryptionError):
        return None
    issued_text, kind, receipt = plain.split("|", 2)
    issued = int(issued_text)
    age = (time.time() if now is None else now) - issued
    if not -60 <= age <= conf.thanks_valid_seconds():
        return None
    return Thanks(receipt=receipt, kind=kind, issued=issued)


def first_showing(token: str) -> bool:
    """Count one showing of this token; True only the first time (atomic across processes)."""
    key = counters.subject_key(_SCOPE, token, 0)
    return counters.count_event(key, ttl_seconds=conf.thanks_valid_seconds() + 300) == 1
