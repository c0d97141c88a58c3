"""Content-Digest (RFC 9530) of a message body: the sha-256 the signature covers."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import http_sf
from http_message_signatures import ContentDigest

from .errors import DigestMalformed, DigestMismatch, DigestMissing

# The algorithms this protocol checks when present. sha-256 is required; sha-512 is checked when a
# sender adds it. Deprecated ones (md5, sha, ...) and unknown keys are ignored as RFC 9530 section 2
# allows: they never count as integrity.
_CHECKED = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
REQUIRED_ALGORITHM = "sha-256"


def content_digest(body: bytes) -> str:
    """The Content-Digest field value of a body, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`."""
    return ContentDigest.create(body)  # the library's default algorithm is sha-256


def body_sha256(body: bytes) -> str:
    """The hex sha-256 of a body: what the inbox stores to tell a retry from a reuse of a message id."""
    return hashlib.sha256(body).hexdigest()


def _reject_duplicate(name: str, context: str) -> None:
    if context == "dictionary":
        raise DigestMalformed(f"Content-Digest names {name} twice.")


def check_content_digest(value: str | None, body: bytes) -> None:
    """Raise unless `value` is a Content-Digest with a sha-256 member matching `body`, and every other
    checked member matches too."""
    if value is None:
        raise DigestMissing("The message has no Content-Digest field.")
    try:
        parsed: Any = http_sf.parse(value.encode("latin-1"), tltype="dictionary", on_duplicate_key=_reject_duplicate)
    except DigestMalformed:
        raise
    except (ValueError, TypeError, UnicodeEncodeError) as e:
        raise DigestMalformed("Content-Digest is not a Structured Field Dictionary.") from e
    if not isinstance(parsed, dict) or REQUIRED_ALGORITHM not in parsed:
        raise DigestMissing("Content-Digest has no sha-256 member.")
    for algorithm, hasher in _CHECKED.items():
        if algorithm not in parsed:
            continue
        member = parsed[algorithm]
        digest = member[0] if isinstance(member, tuple) else None
        if not isinstance(digest, bytes) or len(digest) != hasher().digest_size:
            raise DigestMalformed(f"The {algorithm} member of Content-Digest is not a digest of that algorithm.")
        if not hmac.compare_digest(digest, hasher(body).digest()):
            raise DigestMismatch(f"The {algorithm} member of Content-Digest does not match the body.")
