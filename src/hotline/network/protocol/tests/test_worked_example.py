"""docs/network-protocol.md's worked example is what the code produces, and verifies, byte for byte."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.network.protocol import (
    ALL_ERRORS,
    decode_message,
    key_id,
    public_key_from_jwk,
    verify_request,
    verify_response,
)
from hotline.network.protocol.messages import SCHEMA_NAMES, schema_text

from . import worked_example as ex

DOC = Path(__file__).resolve().parents[5] / "docs" / "network-protocol.md"
_SCHEMA_BLOCK = re.compile(r"<!-- schema:([a-z.]+) -->\n```json\n(.*?)\n```", re.DOTALL)
_BLOCK = re.compile(r"<!-- example:([a-z0-9-]+) -->\n```[a-z]*\n(.*?)\n```", re.DOTALL)


def doc_blocks() -> dict[str, str]:
    found = _BLOCK.findall(DOC.read_text(encoding="utf-8"))
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), "an example block is shown twice"
    return dict(found)


def test_the_document_shows_every_schema_exactly_as_shipped():
    shown = dict(_SCHEMA_BLOCK.findall(DOC.read_text(encoding="utf-8")))
    assert sorted(shown) == sorted(SCHEMA_NAMES)
    for name in SCHEMA_NAMES:
        assert shown[name] == schema_text(name).rstrip("\n"), f"docs/network-protocol.md shows an old {name} schema"


def test_the_document_lists_every_refusal_with_its_status():
    text = DOC.read_text(encoding="utf-8")
    for error in ALL_ERRORS:
        row = next((line for line in text.splitlines() if f"`{error.code}`" in line and line.startswith("|")), None)
        assert row is not None, f"docs/network-protocol.md has no row for {error.code}"
        assert row.rstrip(" |").endswith(str(error.status)), f"{error.code} is answered {error.status}"


def _parse_http(text: str) -> tuple[str, dict[str, str], bytes]:
    head, body = text.replace("\n", "\r\n").encode("utf-8").split(b"\r\n\r\n", 1)
    start, *lines = head.decode("ascii").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return start, headers, body.replace(b"\r\n", b"\n")


def test_every_block_of_the_document_is_what_the_code_computes():
    shown = doc_blocks()
    computed = ex.blocks()
    assert sorted(shown) == sorted(computed)
    for name, text in computed.items():
        assert shown[name] == text, f"docs/network-protocol.md block {name} differs from the code's output"


def test_the_documented_request_verifies_and_its_base_is_the_documented_base():
    shown = doc_blocks()
    start, headers, body = _parse_http(shown["request"])
    assert start == "POST /network/v1/inbox HTTP/1.1"
    assert body == ex.REQUEST_BODY and int(headers["Content-Length"]) == len(body)
    se_key = public_key_from_jwk(json.loads(shown["se-public-jwk"]))
    verified = verify_request(
        "POST",
        f"https://{headers['Host']}/network/v1/inbox",
        headers,
        body,
        lambda kid: se_key if kid == key_id(se_key) else None,
        ex.SENT_AT,
    )
    assert verified.key_id == ex.SE_KEY_ID
    assert verified.signature_base.decode("ascii") == shown["request-signature-base"]
    message = decode_message(body)
    assert message.envelope.sender == "SE-ECPAT" and message.envelope.id == ex.FORWARD_ID


def _raw_signature(field: str) -> bytes:
    (_, (value, _params)) = next(iter(http_sf.parse(field.encode("ascii"), tltype="dictionary").items()))
    return value


def test_the_documented_signatures_are_ed25519_over_the_documented_bases_without_the_library():
    # What another implementer checks first: plain Ed25519 over the exact base bytes.
    shown = doc_blocks()
    _, request_headers, _ = _parse_http(shown["request"])
    _, response_headers, _ = _parse_http(shown["response"])
    se_key = public_key_from_jwk(json.loads(shown["se-public-jwk"]))
    nl_key = public_key_from_jwk(json.loads(shown["nl-public-jwk"]))
    se_key.verify(_raw_signature(request_headers["Signature"]), shown["request-signature-base"].encode("ascii"))
    nl_key.verify(_raw_signature(response_headers["Signature"]), shown["response-signature-base"].encode("ascii"))
    digest = request_headers["Content-Digest"]
    assert digest == "sha-256=:" + base64.b64encode(hashlib.sha256(ex.REQUEST_BODY).digest()).decode() + ":"


def test_the_documented_ack_verifies_as_the_answer_to_the_documented_request():
    shown = doc_blocks()
    _, request_headers, _ = _parse_http(shown["request"])
    start, headers, body = _parse_http(shown["response"])
    assert start == "HTTP/1.1 200 OK"
    nl_key = public_key_from_jwk(json.loads(shown["nl-public-jwk"]))
    verified = verify_response(
        200,
        headers,
        body,
        request_method="POST",
        request_url=ex.INBOX_URL,
        request_headers=request_headers,
        resolve_key=lambda kid: nl_key if kid == ex.NL_KEY_ID else None,
        now=ex.ANSWERED_AT,
    )
    assert verified.signature_base.decode("ascii") == shown["response-signature-base"]
    ack = decode_message(body)
    assert ack.message_id == ex.FORWARD_ID  # type: ignore[union-attr]


def test_the_example_uses_two_different_committed_test_keys():
    assert isinstance(ex.SE_KEY.public_key(), Ed25519PublicKey)
    assert ex.SE_KEY_ID != ex.NL_KEY_ID
    assert doc_blocks()["se-private-key"] != doc_blocks()["nl-private-key"]
