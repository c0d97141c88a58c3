"""The worked example of docs/network-protocol.md, computed from fixed inputs and the committed test keys.

`python -m hotline.network.protocol.tests.worked_example` prints every block of the example; the test
test_worked_example.py checks the document shows exactly these.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from hotline.network.protocol import (
    INBOX_PATH,
    HashValue,
    HostingFact,
    build_ack,
    build_report_forward,
    encode_message,
    endpoint_url,
    fingerprint,
    key_id,
    load_private_key_pem,
    public_jwk,
    sign_request,
    sign_response,
)
from hotline.network.protocol.signing import REQUEST_PROFILE, response_profile

from .rfc_vectors import VECTORS

SE_KEY_PEM = (VECTORS / "worked-example-key-se.pem").read_bytes()
NL_KEY_PEM = (VECTORS / "worked-example-key-nl.pem").read_bytes()
SE_KEY = load_private_key_pem(SE_KEY_PEM)
NL_KEY = load_private_key_pem(NL_KEY_PEM)
SE_KEY_ID = key_id(SE_KEY.public_key())
NL_KEY_ID = key_id(NL_KEY.public_key())

NL_BASE_URL = "https://nl.example.test"
INBOX_URL = endpoint_url(NL_BASE_URL, INBOX_PATH)
SENT_AT = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
ANSWERED_AT = datetime(2026, 3, 2, 9, 30, 1, tzinfo=UTC)
FORWARD_ID = UUID("0b6f3c1e-5d2a-4f8b-9c47-2e1d8a6b4f90")
ACK_ID = UUID("7a1d9e22-3c4b-4e5f-8a6b-1c2d3e4f5a6b")

FORWARD = build_report_forward(
    message_id=FORWARD_ID,
    created=SENT_AT,
    sender="SE-ECPAT",
    recipient="NL-EXAMPLE",
    case_reference="SE-2026-00042",
    first_reported_at=datetime(2026, 3, 1, 18, 12, 5, tzinfo=UTC),
    urls=["https://files.example.test/album/8841"],
    kind="online_material",
    classification="csam_baseline",
    site_type="file_host",
    hosting=[HostingFact(ip="203.0.113.45", country="NL", asn=64500, abuse_contact="abuse@hosting.example.test")],
    hashes=[HashValue(type="md5", value="0123456789abcdef0123456789abcdef")],
)
REQUEST_BODY = encode_message(FORWARD)
REQUEST_HEADERS = {
    "Host": "nl.example.test",
    "Content-Type": "application/json",
    "Content-Length": str(len(REQUEST_BODY)),
}
REQUEST_ADDED = sign_request("POST", INBOX_URL, REQUEST_HEADERS, REQUEST_BODY, SE_KEY, SE_KEY_ID, SENT_AT)
SIGNED_REQUEST_HEADERS = REQUEST_HEADERS | REQUEST_ADDED

ACK = build_ack(
    message_id=ACK_ID,
    created=ANSWERED_AT,
    sender="NL-EXAMPLE",
    recipient="SE-ECPAT",
    acked_message_id=FORWARD_ID,
    committed_at=ANSWERED_AT,
)
RESPONSE_BODY = encode_message(ACK)
RESPONSE_HEADERS = {"Content-Type": "application/json", "Content-Length": str(len(RESPONSE_BODY))}
RESPONSE_ADDED = sign_response(
    200,
    RESPONSE_HEADERS,
    RESPONSE_BODY,
    request_method="POST",
    request_url=INBOX_URL,
    request_headers=SIGNED_REQUEST_HEADERS,
    private_key=NL_KEY,
    key_id=NL_KEY_ID,
    created=ANSWERED_AT,
)
SIGNED_RESPONSE_HEADERS = RESPONSE_HEADERS | RESPONSE_ADDED


def _http(start_line: str, headers: dict[str, str], body: bytes) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{start_line}\r\n{head}\r\n".encode("ascii") + body


REQUEST_BYTES = _http("POST /network/v1/inbox HTTP/1.1", SIGNED_REQUEST_HEADERS, REQUEST_BODY)
RESPONSE_BYTES = _http("HTTP/1.1 200 OK", SIGNED_RESPONSE_HEADERS, RESPONSE_BODY)


def _base(components: tuple[str, ...], values: dict[str, str], params: str) -> str:
    lines = [f"{c if c.startswith(chr(34)) else chr(34) + c + chr(34)}: {values[c]}" for c in components]
    return "\n".join([*lines, f'"@signature-params": {params}'])


def _params(signature_input: str) -> str:
    return signature_input.split("=", 1)[1]


REQUEST_SIGNATURE_BASE = _base(
    REQUEST_PROFILE.components,
    {
        "@method": "POST",
        "@target-uri": INBOX_URL,
        "content-type": "application/json",
        "content-digest": REQUEST_ADDED["Content-Digest"],
    },
    _params(REQUEST_ADDED["Signature-Input"]),
)
RESPONSE_SIGNATURE_BASE = _base(
    response_profile(SIGNED_REQUEST_HEADERS).components,
    {
        "@status": "200",
        "content-type": "application/json",
        "content-digest": RESPONSE_ADDED["Content-Digest"],
        '"@method";req': "POST",
        '"@target-uri";req': INBOX_URL,
        '"content-digest";req': REQUEST_ADDED["Content-Digest"],
    },
    _params(RESPONSE_ADDED["Signature-Input"]),
)


def blocks() -> dict[str, str]:
    """Every block of the worked example, by the name that marks it in the document."""
    return {
        "se-private-key": SE_KEY_PEM.decode("ascii").strip(),
        "se-public-jwk": json.dumps(public_jwk(SE_KEY.public_key()), indent=2),
        "se-fingerprint": fingerprint(SE_KEY.public_key()),
        "nl-private-key": NL_KEY_PEM.decode("ascii").strip(),
        "nl-public-jwk": json.dumps(public_jwk(NL_KEY.public_key()), indent=2),
        "request-document": json.dumps(FORWARD, indent=2, sort_keys=True, ensure_ascii=False),
        "request": REQUEST_BYTES.decode("utf-8").replace("\r\n", "\n"),
        "request-signature-base": REQUEST_SIGNATURE_BASE,
        "response": RESPONSE_BYTES.decode("utf-8").replace("\r\n", "\n"),
        "response-signature-base": RESPONSE_SIGNATURE_BASE,
    }


if __name__ == "__main__":
    for name, text in blocks().items():
        print(f"<!-- example:{name} -->\n```\n{text}\n```\n")
