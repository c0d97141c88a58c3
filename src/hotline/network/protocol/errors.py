"""Every reason the network protocol refuses a message, one exception type each, with its RFC 9457 problem."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

# Problem type URIs are relative to the receiver's base URL; the app resolves them (RFC 9457 section 3.1.1).
PROBLEM_PATH = "/network/v1/problems/"


_PLAIN_NAME = re.compile(r"[a-z@][a-z0-9_.\-]{0,39}")


def describe_names(names: Iterable[str]) -> str:
    """Names taken from a refused message (members, parameters, components) for a detail: a plain
    protocol-like name is shown, anything else (which could be text a sender smuggled in as a name)
    only counted."""
    names = list(names)
    shown = sorted(name for name in names if _PLAIN_NAME.fullmatch(name))
    hidden = len(names) - len(shown)
    return ", ".join([*shown, *([f"{hidden} other name(s)"] if hidden else [])])


class ProtocolError(Exception):
    """A message refused by the protocol. `code` names the problem type; `status` is the HTTP answer.

    `detail` is for the partner's administrators. It names what is wrong (a header, a JSON path, a rule)
    and never repeats a value from the message, so a refused message cannot leak through an error page
    or a log line.
    """

    code: ClassVar[str] = "protocol-error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "The message was refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def problem(self, *, base_url: str = "") -> dict[str, Any]:
        """The application/problem+json document for this refusal."""
        return {
            "type": f"{base_url.rstrip('/')}{PROBLEM_PATH}{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


# --- signatures (RFC 9421) ------------------------------------------------------------------------
class SignatureError(ProtocolError):
    """The request or response is not signed as the protocol requires."""

    code = "signature-error"
    status = 401
    title = "The signature was not accepted"


class MissingSignature(SignatureError):
    code = "signature-missing"
    title = "The message carries no signature of this protocol"


class MalformedSignature(SignatureError):
    code = "signature-malformed"
    status = 400
    title = "The signature fields cannot be read"


class IncompleteCoverage(SignatureError):
    code = "signature-coverage"
    title = "The signature does not cover every required component"


class UnknownKey(SignatureError):
    code = "key-unknown"
    title = "The signing key is not pinned for any active partner"


class BadSignature(SignatureError):
    code = "signature-invalid"
    title = "The signature does not verify"


class CreatedTooOld(SignatureError):
    code = "signature-too-old"
    title = "The signature was created too long ago"


class CreatedInFuture(SignatureError):
    code = "signature-in-future"
    title = "The signature was created in the future"


# --- content digest (RFC 9530) --------------------------------------------------------------------
class DigestError(ProtocolError):
    code = "digest-error"
    status = 400
    title = "The content digest was not accepted"


class DigestMissing(DigestError):
    code = "digest-missing"
    title = "The message has no sha-256 Content-Digest"


class DigestMalformed(DigestError):
    code = "digest-malformed"
    title = "The Content-Digest field cannot be read"


class DigestMismatch(DigestError):
    code = "digest-mismatch"
    title = "The Content-Digest does not match the body"


# --- the message itself ---------------------------------------------------------------------------
class MessageError(ProtocolError):
    code = "message-error"
    status = 400
    title = "The message was not accepted"


class BodyTooLarge(MessageError):
    code = "body-too-large"
    status = 413
    title = "The body is larger than the receiver accepts"


class UnsupportedMediaType(MessageError):
    code = "media-type-unsupported"
    status = 415
    title = "The body is not application/json"


class MalformedMessage(MessageError):
    code = "message-malformed"
    title = "The body is not a JSON object"


class UnsupportedVersion(MessageError):
    code = "protocol-version-unsupported"
    title = "The protocol version is not supported"


class UnknownMessageType(MessageError):
    code = "message-type-unknown"
    title = "The message type is not known"


class SchemaViolation(MessageError):
    """The document does not match its JSON Schema, or breaks a rule the schema cannot express.

    `errors` lists each violation as "<JSON pointer>: <rule>" (never the offending value)."""

    code = "schema-violation"
    status = 422
    title = "The message does not match its schema"

    def __init__(self, detail: str, *, errors: list[str] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or [detail]

    def problem(self, *, base_url: str = "") -> dict[str, Any]:
        document = super().problem(base_url=base_url)
        document["errors"] = list(self.errors)
        return document


class SenderMismatch(MessageError):
    code = "sender-mismatch"
    status = 403
    title = "The envelope names another sender than the key's owner"


class RecipientMismatch(MessageError):
    code = "recipient-mismatch"
    status = 421
    title = "The message is addressed to another hotline"


class MessageIdConflict(MessageError):
    code = "message-id-conflict"
    status = 409
    title = "The message id was already used for another message"


ALL_ERRORS: tuple[type[ProtocolError], ...] = (
    MissingSignature,
    MalformedSignature,
    IncompleteCoverage,
    UnknownKey,
    BadSignature,
    CreatedTooOld,
    CreatedInFuture,
    DigestMissing,
    DigestMalformed,
    DigestMismatch,
    BodyTooLarge,
    UnsupportedMediaType,
    MalformedMessage,
    UnsupportedVersion,
    UnknownMessageType,
    SchemaViolation,
    SenderMismatch,
    RecipientMismatch,
    MessageIdConflict,
)
