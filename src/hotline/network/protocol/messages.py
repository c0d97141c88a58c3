"""The protocol's messages: builders, the JSON Schema check of each type, and the bytes on the wire."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID, uuid4

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .errors import (
    BodyTooLarge,
    MalformedMessage,
    SchemaViolation,
    UnknownMessageType,
    UnsupportedMediaType,
    UnsupportedVersion,
    describe_names,
)

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({PROTOCOL_VERSION})
MEDIA_TYPE = "application/json"
# Far above a forward with 100 URLs, 100 hashes and a long shared description (about 60 KiB).
MAX_BODY_BYTES = 256 * 1024
SCHEMA_BASE = "https://hotline.invalid/network/v1/schemas/"


class MessageType(enum.StrEnum):
    REPORT_FORWARD = "report.forward"
    REPORT_STATUS = "report.status"
    ACK = "ack"


IDENTITY_SCHEMA = "identity"
SCHEMA_NAMES: tuple[str, ...] = ("common", *(t.value for t in MessageType), IDENTITY_SCHEMA)


# --- schemas --------------------------------------------------------------------------------------
def schema_text(name: str) -> str:
    """The schema file `<name>.json` exactly as shipped (and served at /network/v1/schemas/<name>.json)."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    return resources.files(__package__).joinpath("schemas", f"{name}.json").read_text(encoding="utf-8")


@cache
def _registry() -> Registry:
    resources_ = [
        (f"{SCHEMA_BASE}{name}.json", Resource.from_contents(json.loads(schema_text(name)))) for name in SCHEMA_NAMES
    ]
    return Registry().with_resources(resources_)


@cache
def validator(name: str) -> Draft202012Validator:
    """The JSON Schema 2020-12 validator of one schema, with format checking on (uuid, date-time, uri,
    email, ipv4, ipv6 are asserted, not just annotated)."""
    schema = json.loads(schema_text(name))
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(name: str, document: Any) -> list[str]:
    """Every violation of schema `name` as "<JSON pointer>: <rule>", in a stable order. The message says
    which rule failed, never the value that failed it (a value may be text that must not be repeated)."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    return [f"/{'/'.join(map(str, e.absolute_path))}: {_rule(e)}" for e in errors]


def _rule(error: Any) -> str:
    keyword = str(error.validator)
    if keyword == "additionalProperties":
        extra = set(error.instance) - set(error.schema.get("properties", {}))
        return f"unexpected member(s) {describe_names(extra)}"
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"missing member(s) {', '.join(missing)}"
    if keyword in {"format", "pattern", "const", "enum", "type", "maxLength", "minLength", "maxItems", "minItems"}:
        return f"fails {keyword} {json.dumps(error.validator_value)}"[:200]
    return f"fails {keyword}"


def check_schema(name: str, document: Any) -> None:
    errors = schema_errors(name, document)
    if errors:
        raise SchemaViolation(f"The document does not match the {name} schema.", errors=errors)


# --- the wire -------------------------------------------------------------------------------------
def encode_message(document: Mapping[str, Any]) -> bytes:
    """The body bytes: compact UTF-8 JSON with sorted keys. The digest and signature cover these bytes, so
    the outbox stores them and every retry sends them unchanged."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two parsers may keep different copies of a repeated key; refuse rather than guess.
            raise MalformedMessage("The JSON body repeats a member name.")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise MalformedMessage("The JSON body contains NaN or Infinity.")


def check_media_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != MEDIA_TYPE:
        raise UnsupportedMediaType("Send the message as application/json.")


def decode_json(body: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The JSON object of a body, refusing oversize bodies, invalid UTF-8, repeated keys and NaN."""
    if len(body) > max_bytes:
        raise BodyTooLarge(f"The body has {len(body)} bytes; at most {max_bytes} are accepted.")
    try:
        text = body.decode("utf-8")
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except UnicodeDecodeError as e:
        raise MalformedMessage("The body is not UTF-8.") from e
    except json.JSONDecodeError as e:
        raise MalformedMessage(f"The body is not JSON (line {e.lineno}, column {e.colno}).") from e
    if not isinstance(document, dict):
        raise MalformedMessage("The body is not a JSON object.")
    return document


def decode_message(body: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Message:
    """The message a verified body carries, or the precise refusal."""
    return parse_message(decode_json(body, max_bytes=max_bytes))


# --- typed messages -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Envelope:
    id: UUID
    type: MessageType
    created: datetime
    sender: str
    recipient: str
    protocol_version: int


@dataclass(frozen=True)
class HashValue:
    type: str  # md5, sha1, sha256, pdq
    value: str  # lower-case hex


@dataclass(frozen=True)
class HostingFact:
    ip: str
    country: str | None = None
    asn: int | None = None
    abuse_contact: str | None = None


@dataclass(frozen=True)
class ReportForward:
    envelope: Envelope
    case_reference: str
    first_reported_at: datetime
    urls: tuple[str, ...]
    kind: str
    classification: str
    site_type: str | None
    hosting: tuple[HostingFact, ...]
    hashes: tuple[HashValue, ...]
    shared_description: str | None


@dataclass(frozen=True)
class ReportStatus:
    envelope: Envelope
    forward_id: UUID
    forward_case_reference: str
    status: str
    status_at: datetime
    removed_at: datetime | None
    case_reference: str | None


@dataclass(frozen=True)
class Ack:
    envelope: Envelope
    message_id: UUID
    committed_at: datetime
    duplicate: bool


Message = ReportForward | ReportStatus | Ack


def format_time(moment: datetime) -> str:
    """A time as the protocol writes it: UTC, suffix Z, microseconds only when there are any."""
    if moment.tzinfo is None:
        raise ValueError("Protocol times are aware datetimes.")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _envelope(
    message_type: MessageType, *, sender: str, recipient: str, message_id: UUID | None, created: datetime | None
) -> dict[str, Any]:
    return {
        "protocol_version": PROTOCOL_VERSION,
        "id": str(message_id or uuid4()),
        "type": message_type.value,
        "created": format_time(created or datetime.now(UTC)),
        "sender": sender,
        "recipient": recipient,
    }


def build_report_forward(
    *,
    sender: str,
    recipient: str,
    case_reference: str,
    first_reported_at: datetime,
    urls: Sequence[str],
    kind: str,
    classification: str,
    site_type: str | None = None,
    hosting: Iterable[HostingFact] = (),
    hashes: Iterable[HashValue] = (),
    shared_description: str | None = None,
    message_id: UUID | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A report.forward document, checked against its schema. `shared_description` is the reporter's
    description and must be passed only when the analyst chose to share it for this forward."""
    data: dict[str, Any] = {
        "case_reference": case_reference,
        "first_reported_at": format_time(first_reported_at),
        "urls": list(urls),
        "kind": kind,
        "classification": classification,
    }
    if site_type is not None:
        data["site_type"] = site_type
    hosting_list = [_drop_none(vars(fact)) for fact in hosting]
    if hosting_list:
        data["hosting"] = hosting_list
    hash_list = [{"type": h.type, "value": h.value} for h in hashes]
    if hash_list:
        data["hashes"] = hash_list
    if shared_description is not None:
        data["shared_description"] = shared_description
    document = _envelope(
        MessageType.REPORT_FORWARD, sender=sender, recipient=recipient, message_id=message_id, created=created
    ) | {"data": data}
    validate_report_forward(document)
    return document


def build_report_status(
    *,
    sender: str,
    recipient: str,
    forward_id: UUID,
    forward_case_reference: str,
    status: str,
    status_at: datetime,
    removed_at: datetime | None = None,
    case_reference: str | None = None,
    message_id: UUID | None = None,
    created: datetime | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """A report.status document, checked against its schema (removed_at goes with content_removed only).

    `validate=False` skips the check where this instance builds the document from values it already holds
    (the outbox and the inbox's hot path): the receiver validates every document it receives, and the tests
    validate what these paths build."""
    data: dict[str, Any] = {
        "forward_id": str(forward_id),
        "forward_case_reference": forward_case_reference,
        "status": status,
        "status_at": format_time(status_at),
    }
    if removed_at is not None:
        data["removed_at"] = format_time(removed_at)
    if case_reference is not None:
        data["case_reference"] = case_reference
    document = _envelope(
        MessageType.REPORT_STATUS, sender=sender, recipient=recipient, message_id=message_id, created=created
    ) | {"data": data}
    if validate:
        validate_report_status(document)
    return document


def build_ack(
    *,
    sender: str,
    recipient: str,
    acked_message_id: UUID,
    committed_at: datetime,
    duplicate: bool = False,
    message_id: UUID | None = None,
    created: datetime | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """The ack the receiver answers a delivery with, once the message is committed (`validate`: as for
    build_report_status; the sender validates every ack it receives)."""
    data = {"message_id": str(acked_message_id), "committed_at": format_time(committed_at), "duplicate": duplicate}
    document = _envelope(MessageType.ACK, sender=sender, recipient=recipient, message_id=message_id, created=created)
    document["data"] = data
    if validate:
        validate_ack(document)
    return document


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# --- validating -----------------------------------------------------------------------------------
_TIME_FIELDS = ("first_reported_at", "status_at", "removed_at", "committed_at")


def _check_version(document: Mapping[str, Any]) -> None:
    version = document.get("protocol_version")
    if type(version) is not int or version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(f"This receiver speaks protocol version(s) {sorted(SUPPORTED_VERSIONS)}.")


def _validate(document: Mapping[str, Any], message_type: MessageType) -> None:
    _check_version(document)
    if document.get("type") != message_type.value:
        raise UnknownMessageType(f"Expected a {message_type.value} message.")
    check_schema(message_type.value, document)
    # Rules a schema cannot state: the times are real times (RFC 3339 allows a leap second Python has no
    # room for), none later than the message that reports it, and nobody writes to themselves.
    data = document["data"]
    errors: list[str] = []
    try:
        created = parse_time(document["created"])
        times = {field: parse_time(data[field]) for field in _TIME_FIELDS if field in data}
    except ValueError:
        raise SchemaViolation("A time in the message is not a real time.") from None
    errors += [f"/data/{field}: is later than the message's created time" for field, t in times.items() if t > created]
    if document["sender"] == document["recipient"]:
        errors.append("/recipient: is the sender itself")
    if errors:
        raise SchemaViolation("The message contradicts itself.", errors=errors)


def validate_report_forward(document: Mapping[str, Any]) -> None:
    _validate(document, MessageType.REPORT_FORWARD)


def validate_report_status(document: Mapping[str, Any]) -> None:
    _validate(document, MessageType.REPORT_STATUS)


def validate_ack(document: Mapping[str, Any]) -> None:
    _validate(document, MessageType.ACK)


_VALIDATORS = {
    MessageType.REPORT_FORWARD: validate_report_forward,
    MessageType.REPORT_STATUS: validate_report_status,
    MessageType.ACK: validate_ack,
}


def message_type_of(document: Mapping[str, Any]) -> MessageType:
    try:
        return MessageType(str(document.get("type")))
    except ValueError as e:
        raise UnknownMessageType(f"Known message types: {', '.join(t.value for t in MessageType)}.") from e


def validate_message(document: Mapping[str, Any]) -> MessageType:
    """Check a document of any type (UnsupportedVersion, UnknownMessageType, SchemaViolation); return its type."""
    _check_version(document)
    message_type = message_type_of(document)
    _VALIDATORS[message_type](document)
    return message_type


def parse_message(document: Mapping[str, Any]) -> Message:
    """The typed message of a document, after validate_message."""
    message_type = validate_message(document)
    envelope = Envelope(
        id=UUID(document["id"]),
        type=message_type,
        created=parse_time(document["created"]),
        sender=document["sender"],
        recipient=document["recipient"],
        protocol_version=document["protocol_version"],
    )
    data = document["data"]
    if message_type is MessageType.REPORT_FORWARD:
        return ReportForward(
            envelope=envelope,
            case_reference=data["case_reference"],
            first_reported_at=parse_time(data["first_reported_at"]),
            urls=tuple(data["urls"]),
            kind=data["kind"],
            classification=data["classification"],
            site_type=data.get("site_type"),
            hosting=tuple(HostingFact(**fact) for fact in data.get("hosting", [])),
            hashes=tuple(HashValue(type=h["type"], value=h["value"]) for h in data.get("hashes", [])),
            shared_description=data.get("shared_description"),
        )
    if message_type is MessageType.REPORT_STATUS:
        return ReportStatus(
            envelope=envelope,
            forward_id=UUID(data["forward_id"]),
            forward_case_reference=data["forward_case_reference"],
            status=data["status"],
            status_at=parse_time(data["status_at"]),
            removed_at=parse_time(data["removed_at"]) if "removed_at" in data else None,
            case_reference=data.get("case_reference"),
        )
    return Ack(
        envelope=envelope,
        message_id=UUID(data["message_id"]),
        committed_at=parse_time(data["committed_at"]),
        duplicate=data["duplicate"],
    )
