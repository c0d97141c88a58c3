"""Signing and verifying protocol requests and responses, and each reason a signature is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import http_sf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.network.protocol import (
    ALL_ERRORS,
    DEFAULT_REPLAY_WINDOW,
    BadSignature,
    CreatedInFuture,
    CreatedTooOld,
    DigestMalformed,
    DigestMismatch,
    DigestMissing,
    IncompleteCoverage,
    MalformedSignature,
    MissingSignature,
    SignatureProfile,
    UnknownKey,
    content_digest,
    key_id,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)

URL = "https://nl.example.test/network/v1/inbox"
NOW = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
BODY = b'{"hello":"world"}'
HEADERS = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def kid(key) -> str:
    return key_id(key.public_key())


@pytest.fixture
def resolve(key, kid):
    return lambda asked: key.public_key() if asked == kid else None


@pytest.fixture
def signed(key, kid) -> dict[str, str]:
    return HEADERS | sign_request("POST", URL, HEADERS, BODY, key, kid, NOW)


def verify(headers, resolve, *, method="POST", url=URL, body=BODY, now=NOW, **kwargs):
    return verify_request(method, url, headers, body, resolve, now, **kwargs)


def test_a_signed_request_verifies_and_names_its_key(signed, resolve, kid):
    verified = verify(signed, resolve)
    assert verified.key_id == kid
    assert verified.created == NOW
    assert verified.label == "hotline"
    assert verified.covered_components == ('"@method"', '"@target-uri"', '"content-type"', '"content-digest"')
    assert verified.signature_base.decode().splitlines()[:4] == [
        '"@method": POST',
        f'"@target-uri": {URL}',
        '"content-type": application/json',
        f'"content-digest": {content_digest(BODY)}',
    ]


def test_the_signature_carries_created_keyid_alg_and_the_protocol_tag(signed, kid):
    (inner, params) = http_sf.parse(signed["Signature-Input"].encode(), tltype="dictionary")["hotline"]
    assert [name for name, _ in inner] == ["@method", "@target-uri", "content-type", "content-digest"]
    assert params == {"created": int(NOW.timestamp()), "keyid": kid, "alg": "ed25519", "tag": "hotline-network"}
    assert "expires" not in params and "nonce" not in params


def test_header_names_are_matched_without_case(signed, resolve, kid):
    lower = {name.lower(): value for name, value in signed.items()}
    assert verify(lower, resolve).key_id == kid


def test_signing_is_deterministic(key, kid):
    assert sign_request("POST", URL, HEADERS, BODY, key, kid, NOW) == sign_request(
        "POST", URL, HEADERS, BODY, key, kid, NOW
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://NL.example.test/network/v1/inbox",
        "HTTPS://nl.example.test/network/v1/inbox",
        "https://nl.example.test:443/network/v1/inbox",
        "https://user@nl.example.test/network/v1/inbox",
        "https://nl.example.test/network/v1/inbox#frag",
        "https://nl.example.test",
    ],
)
def test_only_canonical_urls_are_signed(key, kid, url):
    with pytest.raises(ValueError):
        sign_request("POST", url, HEADERS, BODY, key, kid, NOW)


def test_a_naive_created_time_is_refused(key, kid):
    with pytest.raises(ValueError):
        sign_request("POST", URL, HEADERS, BODY, key, kid, datetime(2026, 3, 2, 9, 30))


def test_a_content_digest_that_is_not_the_bodys_is_refused_when_signing(key, kid):
    with pytest.raises(ValueError):
        sign_request("POST", URL, HEADERS | {"Content-Digest": content_digest(b"other")}, BODY, key, kid, NOW)


# --- each refusal -----------------------------------------------------------------------------------
@pytest.mark.parametrize("drop", ["Signature", "Signature-Input"])
def test_missing_signature_fields(signed, resolve, drop):
    headers = {k: v for k, v in signed.items() if k != drop}
    with pytest.raises(MissingSignature):
        verify(headers, resolve)


def test_an_unsigned_request(resolve):
    with pytest.raises(MissingSignature):
        verify(HEADERS | {"Content-Digest": content_digest(BODY)}, resolve)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Signature-Input", "hotline=(((broken"),
        ("Signature", "hotline=not-a-byte-sequence"),
        ("Signature-Input", 'hotline=("@method");keyid="x";tag="hotline-network", hotline=("@method")'),
    ],
)
def test_unreadable_signature_fields(signed, resolve, field, value):
    with pytest.raises(MalformedSignature):
        verify(signed | {field: value}, resolve)


def test_a_signature_of_another_protocol_only_is_missing_ours(signed, resolve):
    other = signed | {"Signature-Input": signed["Signature-Input"].replace("hotline-network", "web-bot-auth")}
    with pytest.raises(MissingSignature):
        verify(other, resolve)


def test_a_signature_a_proxy_added_beside_ours_is_ignored(signed, resolve, kid):
    proxy_key = Ed25519PrivateKey.generate()
    proxy = sign_request(
        "POST",
        URL,
        signed,
        BODY,
        proxy_key,
        "proxy",
        NOW,
        profile=SignatureProfile(label="proxy", components=("@method",), tag="proxy"),
    )
    headers = signed | {
        "Signature-Input": f"{signed['Signature-Input']}, {proxy['Signature-Input']}",
        "Signature": f"{signed['Signature']}, {proxy['Signature']}",
    }
    assert verify(headers, resolve).key_id == kid


def test_two_signatures_with_our_tag_are_refused(key, kid, signed, resolve):
    second = sign_request(
        "POST", URL, HEADERS, BODY, key, kid, NOW, profile=SignatureProfile(label="again", components=("@method",))
    )
    headers = signed | {
        "Signature-Input": f"{signed['Signature-Input']}, {second['Signature-Input']}",
        "Signature": f"{signed['Signature']}, {second['Signature']}",
    }
    with pytest.raises(MalformedSignature):
        verify(headers, resolve)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (';alg="ed25519"', ';alg="rsa-pss-sha512"'),
        (';tag="hotline-network"', ';tag="hotline-network";color="red"'),
        (";created=", ';created="soon";was='),
    ],
)
def test_bad_signature_parameters(signed, resolve, old, new):
    assert old in signed["Signature-Input"]
    with pytest.raises(MalformedSignature):
        verify(signed | {"Signature-Input": signed["Signature-Input"].replace(old, new)}, resolve)


def test_a_covered_field_that_is_absent_is_named_only_if_it_looks_like_a_name(signed, resolve):
    for field, shown in (("x-case", "x-case"), ("anna svensson", "1 other name(s)")):
        tampered = signed["Signature-Input"].replace('"content-digest")', f'"content-digest" "{field}")')
        with pytest.raises(MalformedSignature) as refused:
            verify(signed | {"Signature-Input": tampered}, resolve)
        assert refused.value.detail == f"The signature covers the field {shown}, which the message does not carry."


def test_a_signature_without_keyid(signed, resolve, kid):
    with pytest.raises(MalformedSignature):
        verify(signed | {"Signature-Input": signed["Signature-Input"].replace(f';keyid="{kid}"', "")}, resolve)


def test_a_signature_that_leaves_out_a_required_component(key, kid, resolve):
    narrow = SignatureProfile(label="hotline", components=("@method", "@target-uri", "content-type"))
    headers = (
        HEADERS
        | {"Content-Digest": content_digest(BODY)}
        | sign_request(
            "POST", URL, HEADERS | {"Content-Digest": content_digest(BODY)}, BODY, key, kid, NOW, profile=narrow
        )
    )
    with pytest.raises(IncompleteCoverage) as refused:
        verify(headers, resolve)
    assert "content-digest" in refused.value.detail


def test_created_within_the_window_either_way_is_accepted(key, kid, resolve):
    for offset in (-DEFAULT_REPLAY_WINDOW, DEFAULT_REPLAY_WINDOW):
        headers = HEADERS | sign_request("POST", URL, HEADERS, BODY, key, kid, NOW + offset)
        assert verify(headers, resolve).key_id == kid


def test_created_too_long_ago(key, kid, resolve):
    headers = HEADERS | sign_request(
        "POST", URL, HEADERS, BODY, key, kid, NOW - DEFAULT_REPLAY_WINDOW - timedelta(seconds=1)
    )
    with pytest.raises(CreatedTooOld):
        verify(headers, resolve)


def test_created_in_the_future(key, kid, resolve):
    headers = HEADERS | sign_request(
        "POST", URL, HEADERS, BODY, key, kid, NOW + DEFAULT_REPLAY_WINDOW + timedelta(seconds=1)
    )
    with pytest.raises(CreatedInFuture):
        verify(headers, resolve)


def test_the_window_is_the_callers(signed, resolve, kid):
    later = NOW + timedelta(minutes=20)
    with pytest.raises(CreatedTooOld):
        verify(signed, resolve, now=later)
    assert verify(signed, resolve, now=later, window=timedelta(minutes=30)).key_id == kid


def test_an_expires_parameter_that_has_passed(signed, resolve, key, kid):
    # Only reachable by a signer that sets expires; the library's signer can, so a partner's might.
    from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
    from http_message_signatures.structures import CaseInsensitiveDict

    class Message:
        method = "POST"
        url = URL
        headers = CaseInsensitiveDict(HEADERS | {"Content-Digest": content_digest(BODY)})

    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=MappingKeyResolver(public_keys={}, private_keys={kid: key})
    )
    signer.sign(
        Message,
        key_id=kid,
        created=NOW - timedelta(seconds=60),
        expires=NOW - timedelta(seconds=1),
        label="hotline",
        tag="hotline-network",
        covered_component_ids=("@method", "@target-uri", "content-type", "content-digest"),
        use_existing_digest=True,
    )
    with pytest.raises(CreatedTooOld):
        verify(dict(Message.headers.items()), resolve)


def test_an_unknown_key(signed):
    with pytest.raises(UnknownKey):
        verify(signed, lambda kid: None)


def test_an_exception_of_the_resolver_is_passed_through(signed):
    class InactivePartner(Exception):
        pass

    def resolve(kid):
        raise InactivePartner(kid)

    with pytest.raises(InactivePartner):
        verify(signed, resolve)


def test_a_key_pinned_under_the_id_that_is_not_the_signers(signed, kid):
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(BadSignature):
        verify(signed, lambda asked: other)


def test_a_forged_signature(signed, resolve):
    forged = "hotline=:" + "A" * 86 + "==:"
    with pytest.raises(BadSignature):
        verify(signed | {"Signature": forged}, resolve)


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"url": "https://de.example.test/network/v1/inbox"},
        {"url": "https://nl.example.test/network/v1/inbox?x=1"},
    ],
)
def test_a_changed_method_or_target_breaks_the_signature(signed, resolve, change):
    with pytest.raises(BadSignature):
        verify(signed, resolve, **change)


def test_a_changed_content_type_breaks_the_signature(signed, resolve):
    with pytest.raises(BadSignature):
        verify(signed | {"Content-Type": "text/plain"}, resolve)


def test_a_changed_body(signed, resolve):
    with pytest.raises(DigestMismatch):
        verify(signed, resolve, body=b'{"hello":"world!"}')


def test_a_changed_body_with_its_own_digest_breaks_the_signature(signed, resolve):
    body = b'{"hello":"world!"}'
    with pytest.raises(BadSignature):
        verify(signed | {"Content-Digest": content_digest(body)}, resolve, body=body)


def test_a_removed_content_digest(signed, resolve):
    headers = {k: v for k, v in signed.items() if k != "Content-Digest"}
    with pytest.raises(DigestMissing):
        verify(headers, resolve)


def _hand_signed(key, kid, headers, *, created=NOW):
    """Sign as a careless partner implementation would: whatever the header holds, base built by hand."""
    params = (
        '("@method" "@target-uri" "content-type" "content-digest")'
        f';created={int(created.timestamp())};keyid="{kid}";alg="ed25519";tag="hotline-network"'
    )
    base = (
        f'"@method": POST\n"@target-uri": {URL}\n"content-type": {headers["Content-Type"]}\n'
        f'"content-digest": {headers["Content-Digest"]}\n"@signature-params": {params}'
    )
    signature = http_sf.ser({"hotline": (key.sign(base.encode()), {})})
    return headers | {"Signature-Input": f"hotline={params}", "Signature": signature}


def test_a_hand_built_signature_verifies(key, kid, resolve):
    headers = _hand_signed(key, kid, HEADERS | {"Content-Digest": content_digest(BODY)})
    assert verify(headers, resolve).key_id == kid


@pytest.mark.parametrize(
    ("digest", "refusal"),
    [
        ("sha-256=1", DigestMalformed),
        ("sha-256=:AAAA:", DigestMalformed),
        ("sha-512=:" + "A" * 86 + "==:", DigestMissing),
        ("sha-256=:" + "A" * 43 + "=:", DigestMismatch),
    ],
)
def test_a_signed_but_unusable_content_digest(key, kid, resolve, digest, refusal):
    headers = _hand_signed(key, kid, HEADERS | {"Content-Digest": digest})
    with pytest.raises(refusal):
        verify(headers, resolve)


def test_refusals_are_checked_in_the_documented_order(key, kid):
    # Old *and* unknown key *and* wrong body: the time is reported, before the key is even looked up.
    headers = HEADERS | sign_request("POST", URL, HEADERS, BODY, key, kid, NOW - timedelta(hours=1))
    looked_up = []
    with pytest.raises(CreatedTooOld):
        verify(headers, lambda asked: looked_up.append(asked), body=b"other")
    assert looked_up == []


# --- responses --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def receiver_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _ack(signed, receiver_key, *, status=200, body=b'{"ack":1}', request_headers=None):
    kid = key_id(receiver_key.public_key())
    headers = {"Content-Type": "application/json"}
    added = sign_response(
        status,
        headers,
        body,
        request_method="POST",
        request_url=URL,
        request_headers=request_headers or signed,
        private_key=receiver_key,
        key_id=kid,
        created=NOW,
    )
    return headers | added, body


def _verify_ack(headers, body, signed, receiver_key, *, status=200, request_headers=None):
    kid = key_id(receiver_key.public_key())
    return verify_response(
        status,
        headers,
        body,
        request_method="POST",
        request_url=URL,
        request_headers=request_headers or signed,
        resolve_key=lambda asked: receiver_key.public_key() if asked == kid else None,
        now=NOW,
    )


def test_a_signed_ack_verifies_and_covers_the_request(signed, receiver_key):
    headers, body = _ack(signed, receiver_key)
    verified = _verify_ack(headers, body, signed, receiver_key)
    assert verified.covered_components == (
        '"@status"',
        '"content-type"',
        '"content-digest"',
        '"@method";req',
        '"@target-uri";req',
        '"content-digest";req',
    )


def test_an_ack_for_another_request_is_refused(signed, receiver_key, key, kid):
    headers, body = _ack(signed, receiver_key)
    other_request = HEADERS | sign_request("POST", URL, HEADERS, b'{"other":1}', key, kid, NOW)
    with pytest.raises(BadSignature):
        _verify_ack(headers, body, signed, receiver_key, request_headers=other_request)


def test_an_ack_whose_status_was_changed_is_refused(signed, receiver_key):
    headers, body = _ack(signed, receiver_key, status=422)
    with pytest.raises(BadSignature):
        _verify_ack(headers, body, signed, receiver_key, status=200)


def test_an_ack_with_a_changed_body_is_refused(signed, receiver_key):
    headers, _ = _ack(signed, receiver_key)
    with pytest.raises(DigestMismatch):
        _verify_ack(headers, b'{"ack":2}', signed, receiver_key)


def test_the_answer_to_a_get_has_no_request_digest_to_cover(receiver_key):
    kid = key_id(receiver_key.public_key())
    identity_url = "https://nl.example.test/network/v1/identity"
    added = sign_response(
        200,
        HEADERS,
        b"{}",
        request_method="GET",
        request_url=identity_url,
        request_headers={},
        private_key=receiver_key,
        key_id=kid,
        created=NOW,
    )
    verified = verify_response(
        200,
        HEADERS | added,
        b"{}",
        request_method="GET",
        request_url=identity_url,
        request_headers={},
        resolve_key=lambda asked: receiver_key.public_key(),
        now=NOW,
    )
    assert '"content-digest";req' not in verified.covered_components


# --- the refusals as problems -------------------------------------------------------------------------
def test_every_refusal_has_its_own_problem_type_and_a_4xx_status():
    codes = [error.code for error in ALL_ERRORS]
    assert len(codes) == len(set(codes))
    for error in ALL_ERRORS:
        problem = error("detail for people").problem(base_url="https://nl.example.test/")
        assert problem["type"] == f"https://nl.example.test/network/v1/problems/{error.code}"
        assert 400 <= problem["status"] < 500
        assert problem["detail"] == "detail for people"
        assert problem["title"]
