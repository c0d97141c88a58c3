"""The protocol code against the RFCs' own examples: RFC 9421 B.2.6, RFC 9530, RFC 8037 A.3."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization

from hotline.network.protocol import (
    BadSignature,
    CreatedTooOld,
    DigestMismatch,
    DigestMissing,
    SignatureProfile,
    check_content_digest,
    content_digest,
    key_id,
    load_private_key_pem,
    load_public_key_pem,
    sign_request,
    verify_request,
)
from hotline.network.protocol.keys import public_key_from_raw, thumbprint

from . import rfc_vectors as v

RFC_PROFILE = SignatureProfile(
    label=v.RFC9421_B26_LABEL, components=v.RFC9421_B26_COMPONENTS, tag=None, include_alg=False
)
CREATED = datetime.fromtimestamp(v.RFC9421_B26_CREATED, tz=UTC)


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def rfc_private_key():
    return load_private_key_pem(v.RFC9421_KEY_PEM)


@pytest.fixture
def rfc_public_key():
    return load_public_key_pem(v.RFC9421_KEY_PEM)


def test_the_rfc_private_key_is_the_pair_of_the_published_public_key(rfc_private_key, rfc_public_key):
    raw = rfc_private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == rfc_public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == _b64url(v.RFC9421_JWK_X)
    seed = rfc_private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert seed == _b64url(v.RFC9421_JWK_D)


def test_signing_the_rfc_test_request_reproduces_b26_byte_for_byte(rfc_private_key):
    added = sign_request(
        v.RFC9421_METHOD,
        v.RFC9421_URL,
        v.RFC9421_HEADERS,
        v.RFC9421_BODY,
        rfc_private_key,
        v.RFC9421_KEY_ID,
        CREATED,
        profile=RFC_PROFILE,
    )
    # B.2.6 does not cover the digest, so signing leaves the request's own Content-Digest alone.
    assert added == {"Signature-Input": v.RFC9421_B26_SIGNATURE_INPUT, "Signature": v.RFC9421_B26_SIGNATURE}


def _rfc_signed_headers() -> dict[str, str]:
    return v.RFC9421_HEADERS | {"Signature-Input": v.RFC9421_B26_SIGNATURE_INPUT, "Signature": v.RFC9421_B26_SIGNATURE}


def test_the_b26_signature_verifies_and_its_base_is_the_rfcs(rfc_public_key):
    resolved = []

    def resolve(kid):
        resolved.append(kid)
        return rfc_public_key if kid == v.RFC9421_KEY_ID else None

    verified = verify_request(
        v.RFC9421_METHOD, v.RFC9421_URL, _rfc_signed_headers(), v.RFC9421_BODY, resolve, CREATED, profile=RFC_PROFILE
    )
    assert resolved == [v.RFC9421_KEY_ID]
    assert verified.key_id == v.RFC9421_KEY_ID
    assert verified.created == CREATED
    assert verified.label == v.RFC9421_B26_LABEL
    assert verified.signature_base == v.RFC9421_B26_BASE
    assert verified.covered_components == tuple(f'"{c}"' for c in v.RFC9421_B26_COMPONENTS)


def test_the_b26_signature_fails_when_a_covered_field_changes(rfc_public_key):
    headers = _rfc_signed_headers() | {"Date": "Tue, 20 Apr 2021 02:07:56 GMT"}
    with pytest.raises(BadSignature):
        verify_request(
            v.RFC9421_METHOD,
            v.RFC9421_URL,
            headers,
            v.RFC9421_BODY,
            lambda kid: rfc_public_key,
            CREATED,
            profile=RFC_PROFILE,
        )
    with pytest.raises(BadSignature):  # @path is covered
        verify_request(
            v.RFC9421_METHOD,
            "https://example.com/bar?param=Value&Pet=dog",
            _rfc_signed_headers(),
            v.RFC9421_BODY,
            lambda kid: rfc_public_key,
            CREATED,
            profile=RFC_PROFILE,
        )


def test_the_b26_signature_is_refused_today_because_it_is_from_2021(rfc_public_key):
    with pytest.raises(CreatedTooOld):
        verify_request(
            v.RFC9421_METHOD,
            v.RFC9421_URL,
            _rfc_signed_headers(),
            v.RFC9421_BODY,
            lambda kid: rfc_public_key,
            datetime.now(UTC),
            profile=RFC_PROFILE,
        )


@pytest.mark.parametrize(("content", "field", "where"), v.RFC9530_CONTENT_DIGESTS)
def test_content_digest_reproduces_rfc9530(content, field, where):
    assert content_digest(content) == field, where
    check_content_digest(field, content)


def test_content_digest_of_the_sample_values_in_rfc9530_appendix_d():
    assert content_digest(v.RFC9421_BODY) == f"sha-256={v.RFC9530_D_SHA256}"
    both = f"sha-256={v.RFC9530_D_SHA256}, sha-512={v.RFC9530_D_SHA512}"
    check_content_digest(both, v.RFC9421_BODY)
    # The RFC 9421 test request carries the same sha-512 digest of its body.
    assert v.RFC9421_HEADERS["Content-Digest"] == f"sha-512={v.RFC9530_D_SHA512}"


def test_a_checked_algorithm_other_than_sha256_must_match_too():
    check_content_digest(
        f"sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:, {v.RFC9530_SECTION2_SHA512}", v.HELLO_LF
    )
    with pytest.raises(DigestMismatch):
        # The sha-512 of the object with LF, sent with a body without it.
        check_content_digest(f"sha-256={v.RFC9530_D_SHA256}, {v.RFC9530_SECTION2_SHA512}", v.RFC9421_BODY)


def test_sha512_or_md5_alone_is_not_enough_for_this_protocol():
    with pytest.raises(DigestMissing):
        check_content_digest(v.RFC9421_HEADERS["Content-Digest"], v.RFC9421_BODY)
    with pytest.raises(DigestMissing):
        check_content_digest(f"md5={v.RFC9530_D_MD5}", v.RFC9421_BODY)
    # A deprecated algorithm beside sha-256 is ignored, right or wrong.
    check_content_digest(f"sha-256={v.RFC9530_D_SHA256}, md5=:AAAAAAAAAAAAAAAAAAAAAA==:", v.RFC9421_BODY)


def test_key_id_is_the_rfc7638_thumbprint_of_rfc8037s_example():
    key = public_key_from_raw(_b64url(v.RFC8037_X))
    assert thumbprint(key).hex() == v.RFC8037_THUMBPRINT_HEX
    assert key_id(key) == v.RFC8037_THUMBPRINT
    assert (
        hashlib.sha256(b'{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}').hexdigest()
        == v.RFC8037_THUMBPRINT_HEX
    )
