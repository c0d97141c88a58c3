"""Loads the published test vectors vendored under data/ (see data/README.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def segwit_script(version: int, program: bytes) -> str:
    """scriptPubKey of a segwit output: OP_0 or OP_1..OP_16 (0x51..0x60), the push length, the program."""
    return bytes([version + 0x50 if version else 0, len(program)]).hex() + program.hex()


def base58_script(version: int, payload: bytes) -> str:
    """scriptPubKey of P2PKH (OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG) or P2SH (OP_HASH160 <20> OP_EQUAL)."""
    if version in (0x00, 0x6F):
        return "76a914" + payload.hex() + "88ac"
    return "a914" + payload.hex() + "87"
