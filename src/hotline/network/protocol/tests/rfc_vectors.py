"""Published test vectors the protocol code must reproduce (sources in vectors/README.md)."""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).parent / "vectors"

# --- RFC 9421 Appendix B.1.4: test-key-ed25519 -----------------------------------------------------
RFC9421_KEY_PEM = (VECTORS / "rfc9421-test-key-ed25519.pem").read_bytes()
RFC9421_KEY_ID = "test-key-ed25519"
# The same pair as a JWK (B.1.4): x is the raw public key, d the raw private key, base64url.
RFC9421_JWK_X = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
RFC9421_JWK_D = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"

# --- RFC 9421 Appendix B.2: test-request ---------------------------------------------------------
RFC9421_METHOD = "POST"
RFC9421_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC9421_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
    ),
    "Content-Length": "18",
}
RFC9421_BODY = b'{"hello": "world"}'

# --- RFC 9421 Appendix B.2.6: signing test-request with ed25519 -----------------------------------
RFC9421_B26_LABEL = "sig-b26"
RFC9421_B26_COMPONENTS = ("date", "@method", "@path", "@authority", "content-type", "content-length")
RFC9421_B26_CREATED = 1618884473
RFC9421_B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
).encode("ascii")
RFC9421_B26_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC9421_B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)

# --- RFC 9530 ------------------------------------------------------------------------------------
# Appendix A: "the examples are based on the JSON object {"hello": "world"} followed by an LF".
HELLO_LF = b'{"hello": "world"}\n'
RFC9530_CONTENT_DIGESTS = [
    # (content, Content-Digest field value, where)
    (HELLO_LF, "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:", "Appendix B.1"),
    (b"", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", "Appendix B.2 (empty content)"),
    (b'"world"}\n', "sha-256=:jjcgBDWNAtbYUXI37CVG3gRuGOAjaaDRGpIUFsdyepQ=:", "Appendix B.3 (bytes 10-18)"),
]
# Section 2's first example; its content is the Appendix A object. (Section 2's second example pairs this
# sha-512 with a sha-256 of other content, so it is not used here.)
RFC9530_SECTION2_SHA512 = (
    "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"
)
# Appendix D, "Sample Digest Values", over {"hello": "world"} without LF (Byte Sequence serialisation).
RFC9530_D_SHA256 = ":X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
RFC9530_D_SHA512 = ":WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
RFC9530_D_MD5 = ":Sd/dVLAcvNLSq16eXua5uQ==:"

# --- RFC 8037 Appendix A.2/A.3: an Ed25519 public JWK and its RFC 7638 thumbprint -----------------
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT_HEX = "90facafea9b1556698540f70c0117a22ea37bd5cf3ed3c47093c1707282b4b89"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
