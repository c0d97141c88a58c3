"""HTTP Message Signatures (RFC 9421, ed25519) of the protocol's requests and responses, and why one fails.

The library `http-message-signatures` builds the signature base and signs and verifies it. This module
adds the protocol's policy around it: which components must be covered, the replay window on `created`
(checked against the caller's clock, not the library's), the Content-Digest of the body, and one
exception type per reason a message is refused (see errors.py), checked in a fixed order so the same
message is always refused for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from http_message_signatures.structures import CaseInsensitiveDict

from .digest import check_content_digest, content_digest
from .errors import (
    BadSignature,
    DigestMissing,
    IncompleteCoverage,
    MalformedSignature,
    MissingSignature,
    UnknownKey,
    describe_names,
)
from .rules import DEFAULT_REPLAY_WINDOW, check_signature_time
from .urls import is_canonical_url

ALGORITHM = "ed25519"
SIGNATURE_LABEL = "hotline"
# The tag (RFC 9421 section 2.3) names this protocol, so a signature made for another purpose with the
# same key is never taken for one of ours, and ours is found among signatures a proxy may add.
SIGNATURE_TAG = "hotline-network"
_METADATA_PARAMETERS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})

ResolveKey = Callable[[str], Ed25519PublicKey | None]


@dataclass(frozen=True)
class SignatureProfile:
    """What a signature must look like: its label, covered components, tag and whether `alg` is sent."""

    label: str
    components: tuple[str, ...]
    tag: str | None = SIGNATURE_TAG
    include_alg: bool = True

    @property
    def covers_content_digest(self) -> bool:
        return "content-digest" in self.components


REQUEST_PROFILE = SignatureProfile(
    label=SIGNATURE_LABEL, components=("@method", "@target-uri", "content-type", "content-digest")
)
# A response covers what the request said (method, target and, when it had a body, its digest), so an
# ack answers exactly the request that was sent and cannot be replayed as the answer to another.
_RESPONSE_COMPONENTS: tuple[str, ...] = (
    "@status",
    "content-type",
    "content-digest",
    '"@method";req',
    '"@target-uri";req',
)
_REQUEST_DIGEST_COMPONENT = '"content-digest";req'


def response_profile(request_headers: Mapping[str, str]) -> SignatureProfile:
    """The profile of the response to a request: it covers the request's Content-Digest when it had one."""
    components = _RESPONSE_COMPONENTS
    if "content-digest" in CaseInsensitiveDict(request_headers):
        components = (*components, _REQUEST_DIGEST_COMPONENT)
    return SignatureProfile(label=SIGNATURE_LABEL, components=components)


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified: whose key signed, when, and the exact signature base it covered."""

    key_id: str
    created: datetime
    label: str
    covered_components: tuple[str, ...]
    signature_base: bytes


@dataclass
class _Request:
    method: str
    url: str
    headers: CaseInsensitiveDict


@dataclass
class _Response:
    status_code: int
    headers: CaseInsensitiveDict
    request: _Request


class _Verifier(HTTPMessageVerifier):
    # The replay window is checked before the library runs, against the caller's `now`, so a test or a
    # documented example verifies at a fixed time; the library's own check reads the wall clock.
    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


# --- signing --------------------------------------------------------------------------------------
def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    private_key: Ed25519PrivateKey,
    key_id: str,
    created: datetime,
    *,
    profile: SignatureProfile = REQUEST_PROFILE,
) -> dict[str, str]:
    """The header fields to add to a request: Content-Digest (when the profile covers it),
    Signature-Input and Signature.

    `headers` must already hold every covered field (Content-Type for the protocol). `url` must be in
    canonical form (see urls.canonical_base_url): it is signed exactly as given."""
    if not is_canonical_url(url):
        raise ValueError("Sign only canonical URLs: lower-case scheme and host, no default port, no fragment.")
    message = _Request(method=method.upper(), url=url, headers=CaseInsensitiveDict(headers))
    added = _add_content_digest(message.headers, body, profile)
    return added | _sign(message, profile, private_key, key_id, created)


def sign_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request_method: str,
    request_url: str,
    request_headers: Mapping[str, str],
    private_key: Ed25519PrivateKey,
    key_id: str,
    created: datetime,
) -> dict[str, str]:
    """The header fields to add to the response to a protocol request (an ack, a problem, the identity
    document): Content-Digest, Signature-Input and Signature."""
    profile = response_profile(request_headers)
    request = _Request(method=request_method.upper(), url=request_url, headers=CaseInsensitiveDict(request_headers))
    message = _Response(status_code=status, headers=CaseInsensitiveDict(headers), request=request)
    added = _add_content_digest(message.headers, body, profile)
    return added | _sign(message, profile, private_key, key_id, created)


def _add_content_digest(headers: CaseInsensitiveDict, body: bytes, profile: SignatureProfile) -> dict[str, str]:
    if not profile.covers_content_digest:
        return {}
    value = content_digest(body)
    if "content-digest" in headers and headers["content-digest"] != value:
        raise ValueError("The headers already carry a Content-Digest that is not the body's sha-256.")
    headers["Content-Digest"] = value
    return {"Content-Digest": value}


def _sign(
    message: _Request | _Response,
    profile: SignatureProfile,
    private_key: Ed25519PrivateKey,
    key_id: str,
    created: datetime,
) -> dict[str, str]:
    if created.tzinfo is None:
        raise ValueError("created must be an aware datetime (the library reads a naive one as local time).")
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=created,
        label=profile.label,
        tag=profile.tag,
        include_alg=profile.include_alg,
        covered_component_ids=profile.components,
        use_existing_digest="content-digest" in message.headers,
    )
    return {"Signature-Input": message.headers["Signature-Input"], "Signature": message.headers["Signature"]}


# --- verifying ------------------------------------------------------------------------------------
def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    resolve_key: ResolveKey,
    now: datetime,
    window: timedelta = DEFAULT_REPLAY_WINDOW,
    *,
    profile: SignatureProfile = REQUEST_PROFILE,
) -> VerifiedSignature:
    """Verify a received request; return who signed it, or raise the precise refusal.

    `url` is the target URI as the receiver knows itself (its canonical base URL + the request path),
    never the Host header a proxy may have rewritten. `resolve_key(key_id)` returns the pinned public key
    for that id, or None; an exception it raises (e.g. an inactive partner) is passed through unchanged.

    Checks, in this order: signature present (MissingSignature), readable (MalformedSignature), covering
    the profile's components (IncompleteCoverage), `created` within `window` of `now` (CreatedTooOld,
    CreatedInFuture), Content-Digest present (DigestMissing), key known (UnknownKey), signature valid
    (BadSignature), body matching the digest (DigestMissing, DigestMalformed, DigestMismatch)."""
    message = _Request(method=method.upper(), url=url, headers=CaseInsensitiveDict(headers))
    return _verify(message, message.headers, body, profile, resolve_key, now, window)


def verify_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request_method: str,
    request_url: str,
    request_headers: Mapping[str, str],
    resolve_key: ResolveKey,
    now: datetime,
    window: timedelta = DEFAULT_REPLAY_WINDOW,
) -> VerifiedSignature:
    """Verify the response to a request this instance sent (the same checks as verify_request)."""
    request = _Request(method=request_method.upper(), url=request_url, headers=CaseInsensitiveDict(request_headers))
    message = _Response(status_code=status, headers=CaseInsensitiveDict(headers), request=request)
    profile = response_profile(request_headers)
    return _verify(message, message.headers, body, profile, resolve_key, now, window)


def _verify(
    message: _Request | _Response,
    headers: CaseInsensitiveDict,
    body: bytes | None,
    profile: SignatureProfile,
    resolve_key: ResolveKey,
    now: datetime,
    window: timedelta,
) -> VerifiedSignature:
    label, components, params, signature_fields = _select_signature(headers, profile)
    _check_coverage(components, profile)
    created = _timestamp(params["created"])
    expires = _timestamp(params["expires"]) if "expires" in params else None
    check_signature_time(created, now=now, window=window, expires=expires)
    _check_fields_present(message, components)
    key_id = params["keyid"]
    key = resolve_key(key_id)
    if key is None:
        raise UnknownKey("No pinned key has the signature's keyid.")
    # The library sees only the selected signature, so its own selection rules never pick another one.
    message.headers = CaseInsensitiveDict(headers)
    message.headers.update(signature_fields)
    verifier = _Verifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={key_id: key}, private_keys={}),
    )
    try:
        (result,) = verifier.verify(message, max_age=None)
    except InvalidSignature as e:
        raise BadSignature("The signature does not verify with the pinned key.") from e
    except HTTPMessageSignaturesException as e:
        raise MalformedSignature("The signature cannot be checked against this message.") from e
    if profile.covers_content_digest:
        if body is None:
            raise ValueError("The profile covers content-digest: pass the body to verify it.")
        check_content_digest(headers.get("content-digest"), body)
    base = "\n".join(f"{k}: {v}" for k, v in result.covered_components.items())
    return VerifiedSignature(
        key_id=key_id,
        created=created,
        label=label,
        covered_components=tuple(k for k in result.covered_components if k != '"@signature-params"'),
        signature_base=base.encode("ascii"),
    )


def _parse_dictionary(value: str, name: str) -> dict[str, Any]:
    def reject_duplicate(key: str, context: str) -> None:
        if context == "dictionary":
            raise MalformedSignature(f"{name} names the label {key} twice.")

    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary", on_duplicate_key=reject_duplicate)
    except MalformedSignature:
        raise
    except (ValueError, TypeError, UnicodeEncodeError) as e:
        raise MalformedSignature(f"{name} is not a Structured Field Dictionary.") from e
    if not isinstance(parsed, dict):
        raise MalformedSignature(f"{name} is not a Structured Field Dictionary.")
    return parsed


def _select_signature(
    headers: CaseInsensitiveDict, profile: SignatureProfile
) -> tuple[str, list[tuple[str, dict[str, Any]]], dict[str, Any], dict[str, str]]:
    if "signature-input" not in headers or "signature" not in headers:
        raise MissingSignature("The message has no Signature-Input and Signature fields.")
    inputs = _parse_dictionary(headers["signature-input"], "Signature-Input")
    signatures = _parse_dictionary(headers["signature"], "Signature")
    if profile.tag is not None:
        labels = [label for label, (_, params) in inputs.items() if params.get("tag") == profile.tag]
        wanted = f"tag {profile.tag}"
    else:
        labels = [label for label in inputs if label == profile.label]
        wanted = f"label {profile.label}"
    if not labels:
        raise MissingSignature(f"No signature in Signature-Input has the {wanted}.")
    if len(labels) > 1:
        raise MalformedSignature(f"More than one signature has the {wanted}.")
    label = labels[0]
    inner, params = inputs[label]
    if not isinstance(inner, list) or not all(isinstance(item, tuple) and isinstance(item[0], str) for item in inner):
        raise MalformedSignature("The selected Signature-Input member is not an inner list of component names.")
    signature = signatures.get(label)
    if signature is None or not isinstance(signature[0], bytes):
        raise MalformedSignature("Signature has no byte sequence for the selected label.")
    unknown = set(params) - _METADATA_PARAMETERS
    if unknown:
        raise MalformedSignature(f"The signature has unknown parameters: {describe_names(unknown)}.")
    if type(params.get("created")) is not int:
        raise MalformedSignature("The signature has no integer created parameter.")
    if type(params.get("expires", 0)) is not int:
        raise MalformedSignature("The signature's expires parameter is not an integer.")
    if not isinstance(params.get("keyid"), str):
        raise MalformedSignature("The signature has no keyid parameter.")
    if "alg" in params and params["alg"] != ALGORITHM:
        raise MalformedSignature(f"The signature's alg is not {ALGORITHM}.")
    if len(inputs) == 1 and len(signatures) == 1:
        # Ours is the only signature (the usual case): the fields as received are the selection, and
        # serialising them again would only cost time.
        fields = {"Signature-Input": headers["signature-input"], "Signature": headers["signature"]}
    else:
        fields = {
            "Signature-Input": http_sf.ser({label: inputs[label]}),
            "Signature": http_sf.ser({label: signature}),
        }
    return label, inner, params, fields


def _identity(value: str, params: Mapping[str, Any]) -> tuple[str, frozenset[tuple[str, Any]]]:
    return value, frozenset(params.items())


def _parse_component(component: str) -> tuple[str, dict[str, Any]]:
    text = component if component.startswith('"') else f'"{component}"'
    parsed: Any = http_sf.parse(text.encode("ascii"), tltype="item")
    value, params = parsed
    return str(value), dict(params)


@cache
def _required_identity(component: str) -> tuple[str, frozenset[tuple[str, Any]]]:
    """A profile's component (a constant of this module) as compared with the covered ones, parsed once."""
    return _identity(*_parse_component(component))


def _check_coverage(components: list[tuple[str, dict[str, Any]]], profile: SignatureProfile) -> None:
    covered = {_identity(value, params) for value, params in components}
    missing = [c for c in profile.components if _required_identity(c) not in covered]
    if missing:
        raise IncompleteCoverage(f"The signature does not cover {', '.join(missing)}.")


def _check_fields_present(message: _Request | _Response, components: list[tuple[str, dict[str, Any]]]) -> None:
    for value, params in components:
        if value.startswith("@"):
            continue
        source = message.request if params.get("req") is True and isinstance(message, _Response) else message
        if value in source.headers:
            continue
        if value == "content-digest":
            raise DigestMissing("The signature covers Content-Digest but the message has none.")
        raise MalformedSignature(
            f"The signature covers the field {describe_names([value])}, which the message does not carry."
        )


def _timestamp(value: int) -> datetime:
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise MalformedSignature("A signature time is out of range.") from e
