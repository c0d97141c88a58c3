"""A partner hotline's inbox on loopback for the sender's tests: a second, independent implementation of the
receiving side on the protocol core (verify signature and digest, keep each message once, answer a signed ack),
so the outbox is tested against a real HTTP server and real signatures. `fail_with` makes it answer an error."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hotline.network.protocol import (
    INBOX_PATH,
    MEDIA_TYPE,
    ProtocolError,
    build_ack,
    decode_message,
    encode_message,
    generate_private_key,
    key_id,
    sign_response,
    verify_request,
)


class PartnerInbox:
    def __init__(self, *, code: str, sender_key: Ed25519PublicKey, key: Ed25519PrivateKey | None = None) -> None:
        self.code = code
        self.key = key or generate_private_key()
        self.sender_keys = {key_id(sender_key): sender_key}
        self.received: dict[str, bytes] = {}
        self.requests = 0
        self.fail_with: int | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> PartnerInbox:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> Any:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                with inbox.lock:
                    inbox.requests += 1
                if inbox.fail_with is not None:
                    self._answer(inbox.fail_with, b'{"title":"down for maintenance"}', "application/problem+json")
                    return
                url = inbox.base_url + INBOX_PATH
                try:
                    verify_request("POST", url, headers, body, inbox.sender_keys.get, datetime.now(UTC))
                    message = decode_message(body)
                except ProtocolError as exc:
                    self._answer(exc.status, encode_message(exc.problem()), "application/problem+json")
                    return
                with inbox.lock:
                    duplicate = str(message.envelope.id) in inbox.received
                    inbox.received.setdefault(str(message.envelope.id), body)
                ack = build_ack(
                    sender=inbox.code,
                    recipient=message.envelope.sender,
                    acked_message_id=message.envelope.id,
                    committed_at=datetime.now(UTC),
                    duplicate=duplicate,
                )
                self._answer(200, encode_message(ack), MEDIA_TYPE, request_headers=headers, url=url)

            def _answer(
                self, status: int, body: bytes, content_type: str, *, request_headers: Any = None, url: str = ""
            ) -> None:
                out = {"Content-Type": content_type}
                if request_headers is not None:
                    out |= sign_response(
                        status,
                        out,
                        body,
                        request_method="POST",
                        request_url=url,
                        request_headers=request_headers,
                        private_key=inbox.key,
                        key_id=key_id(inbox.key.public_key()),
                        created=datetime.now(UTC),
                    )
                self.send_response(status)
                for name, value in out.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
