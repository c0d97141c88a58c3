"""The encrypted backup file: a short plain header, then the payload in authenticated chunks (AES-256-GCM).

Layout (format 1):
    MAGIC (16 bytes) | header length (4 bytes, big-endian) | header (JSON) | chunk 0 | chunk 1 | ... | last chunk
The header names the format, the cipher, the chunk size, the id of the backup key and a check value of it (so a
wrong key is told apart from a damaged file), and a random salt. The file key is HKDF-SHA256(backup key, salt):
a new key for every file. Chunk i is AES-GCM over at most CHUNK bytes with the nonce i (11 bytes) and a last-
chunk flag (1 byte), and the SHA-256 of everything before the first chunk as associated data: the STREAM
construction (as in age and Tink). A changed byte anywhere, chunks swapped, cut off or added, or a changed header
fails authentication, and the reader says which it was where it can tell. Memory stays at one chunk, however
large the file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"HOTLINE-BACKUP\x00\x01"  # the last byte is the file format version
FORMAT = 1
CHUNK = 1 << 20  # plaintext bytes per chunk
TAG = 16
MAX_HEADER = 4096


class BackupFileError(Exception):
    """The file cannot be opened or is not whole: the message says why, for a person."""


def key_check(key: bytes) -> str:
    """A check value of the backup key (HMAC of a constant under it): tells which key a file needs without
    revealing anything of the key."""
    return hmac.new(key, b"hotline-backup-key-check", hashlib.sha256).hexdigest()[:32]


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"hotline-backup/1").derive(key)
    return AESGCM(derived)


def _nonce(index: int, last: bool) -> bytes:
    if index >= 1 << 88:
        raise BackupFileError("The backup is too large for its format.")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class EncryptedWriter:
    """Writes the header at once, then whole chunks as data comes; close() writes the last chunk (a file is
    unreadable without it, so a backup cut off while being written is never taken for a whole one)."""

    def __init__(self, out: BinaryIO, *, key_id: str, key: bytes):
        salt = os.urandom(32)
        header = json.dumps(
            {
                "format": FORMAT,
                "cipher": "AES-256-GCM",
                "kdf": "HKDF-SHA256",
                "chunk": CHUNK,
                "key_id": key_id,
                "key_check": key_check(key),
                "salt": base64.b64encode(salt).decode(),
            },
            sort_keys=True,
        ).encode()
        prefix = MAGIC + struct.pack(">I", len(header)) + header
        out.write(prefix)
        self._out = out
        self._aad = hashlib.sha256(prefix).digest()
        self._cipher = _file_key(key, salt)
        self._buffer = bytearray()
        self._index = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        # Strictly more than a chunk: the last chunk is only known at close(), and it must not be empty
        # unless the whole payload is.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        self._out.write(self._cipher.encrypt(_nonce(self._index, last), plaintext, self._aad))
        self._index += 1


def read_header(source: BinaryIO) -> tuple[dict[str, object], bytes]:
    """(header, the bytes it was read from). Refuses what is not a backup of a known format."""
    magic = source.read(len(MAGIC))
    if magic[:-1] != MAGIC[:-1]:
        raise BackupFileError("This is not a Hotline backup file (it does not start as one).")
    if magic[-1:] != MAGIC[-1:]:
        raise BackupFileError(
            f"This backup has file format {magic[-1]}, which this version of Hotline cannot read "
            f"(it reads format {FORMAT}). Restore it with the release that made it."
        )
    raw_length = source.read(4)
    if len(raw_length) < 4:
        raise BackupFileError("The backup file is cut off inside its header (a partial copy?).")
    (length,) = struct.unpack(">I", raw_length)
    if length > MAX_HEADER:
        raise BackupFileError("The backup file's header is damaged.")
    raw = source.read(length)
    if len(raw) < length:
        raise BackupFileError("The backup file is cut off inside its header (a partial copy?).")
    try:
        header = json.loads(raw)
    except ValueError:
        raise BackupFileError("The backup file's header is damaged.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("cipher") != "AES-256-GCM":
        raise BackupFileError("The backup file's header is damaged or of an unknown kind.")
    return header, magic + raw_length + raw


class EncryptedReader:
    """Opens a file written by EncryptedWriter with one of `keys` ((id, key) pairs) and yields its payload in
    pieces, each authenticated before it is given out. Raises BackupFileError as soon as something is wrong;
    data already given out then belongs to an incomplete payload, which the caller must throw away."""

    def __init__(self, source: BinaryIO, keys: tuple[tuple[str, bytes], ...]):
        header, prefix = read_header(source)
        check = header.get("key_check")
        key = next((k for _, k in keys if hmac.compare_digest(key_check(k), str(check))), None)
        if key is None:
            configured = ", ".join(kid for kid, _ in keys) or "none"
            raise BackupFileError(
                f"Wrong key: this backup was made with the backup key {header.get('key_id')!r}, and "
                f"HOTLINE_BACKUP_KEY holds another (configured: {configured}). Set the key it was made with."
            )
        chunk = header.get("chunk")
        salt = header.get("salt")
        if not isinstance(chunk, int) or not 0 < chunk <= 1 << 26 or not isinstance(salt, str):
            raise BackupFileError("The backup file's header is damaged.")
        try:
            raw_salt = base64.b64decode(salt, validate=True)
        except ValueError:  # binascii.Error included
            raise BackupFileError("The backup file's header is damaged.") from None
        self.header = header
        self._source = source
        self._chunk = chunk
        self._aad = hashlib.sha256(prefix).digest()
        self._cipher = _file_key(key, raw_salt)

    def __iter__(self) -> Iterator[bytes]:
        size = self._chunk + TAG
        block = self._source.read(size)
        index = 0
        while True:
            if len(block) < TAG:
                raise BackupFileError(
                    "The backup file is cut off (truncated): its end is missing. Use a whole copy."
                    if index
                    else "The backup file holds no data after its header (a partial copy?)."
                )
            following = self._source.read(size) if len(block) == size else b""
            last = not following
            try:
                yield self._cipher.decrypt(_nonce(index, last), block, self._aad)
            except InvalidTag:
                raise BackupFileError(self._diagnose(index, block, last)) from None
            if last:
                return
            block = following
            index += 1

    def _diagnose(self, index: int, block: bytes, last: bool) -> str:
        if last:
            try:
                self._cipher.decrypt(_nonce(index, False), block, self._aad)
            except InvalidTag:
                pass
            else:
                return "The backup file is cut off (truncated) after a whole chunk: its end is missing."
            return (
                f"The backup file is cut off (truncated) or damaged at its end (its last chunk, {index}, does not "
                f"authenticate): a partial copy? Do not use it: take another copy or another backup."
            )
        return (
            f"The backup file is damaged or was altered (chunk {index} does not authenticate). Do not use "
            f"it: take another copy or another backup."
        )


# --- the payload inside: records of (kind, length, bytes) ---------------------------------------------------
MANIFEST, DATA, END = b"M", b"D", b"E"
_RECORD = struct.Struct(">cQ")
MAX_MANIFEST = 64 << 20


class PayloadWriter:
    """The manifest first (restore checks it before reading anything else), then the database snapshot in
    records, then an end record with the snapshot's size and SHA-256."""

    def __init__(self, writer: EncryptedWriter):
        self._writer = writer
        self._digest = hashlib.sha256()
        self._size = 0

    def manifest(self, manifest: dict[str, object]) -> None:
        self._record(MANIFEST, json.dumps(manifest, sort_keys=True).encode())

    def data(self, data: bytes) -> None:
        if data:
            self._digest.update(data)
            self._size += len(data)
            self._record(DATA, data)

    def end(self) -> tuple[int, str]:
        """(snapshot bytes, their SHA-256)."""
        digest = self._digest.hexdigest()
        self._record(END, json.dumps({"bytes": self._size, "sha256": digest}).encode())
        self._writer.close()
        return self._size, digest

    def _record(self, kind: bytes, data: bytes) -> None:
        self._writer.write(_RECORD.pack(kind, len(data)))
        self._writer.write(data)


class PayloadReader:
    """Reads what PayloadWriter wrote: `manifest` at once, then `snapshot()` yields the snapshot's bytes and
    checks the end record (size and SHA-256) and that nothing follows it."""

    def __init__(self, pieces: Iterator[bytes]):
        self._pieces = pieces
        self._buffer = bytearray()
        kind, length = self._record_head()
        if kind != MANIFEST or length > MAX_MANIFEST:
            raise BackupFileError("The backup holds no manifest where it should: it is not a Hotline backup.")
        try:
            manifest = json.loads(self._take(length))
        except ValueError:
            raise BackupFileError("The backup's manifest is damaged.") from None
        if not isinstance(manifest, dict):
            raise BackupFileError("The backup's manifest is damaged.")
        self.manifest: dict[str, object] = manifest

    def snapshot(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        size = 0
        while True:
            kind, length = self._record_head()
            if kind == DATA:
                remaining = length
                while remaining:
                    piece = self._take_some(remaining)
                    remaining -= len(piece)
                    digest.update(piece)
                    size += len(piece)
                    yield piece
                continue
            if kind != END or length > 4096:
                raise BackupFileError("The backup's contents are out of order: it is damaged.")
            try:
                end = json.loads(self._take(length))
            except ValueError:
                raise BackupFileError("The backup's end record is damaged.") from None
            if end != {"bytes": size, "sha256": digest.hexdigest()}:
                raise BackupFileError("The database snapshot in the backup does not match its checksum.")
            if self._buffer or next(self._pieces, b""):
                raise BackupFileError("The backup has data after its end record: it is damaged.")
            return

    def _fill(self, wanted: int) -> None:
        while len(self._buffer) < wanted:
            piece = next(self._pieces, None)
            if piece is None:
                raise BackupFileError("The backup ends in the middle of its contents: it is incomplete.")
            self._buffer += piece

    def _record_head(self) -> tuple[bytes, int]:
        kind, length = _RECORD.unpack(self._take(_RECORD.size))
        return kind, length

    def _take(self, length: int) -> bytes:
        self._fill(length)
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data

    def _take_some(self, most: int) -> bytes:
        """Up to `most` bytes, at least one: what is buffered, else the next piece (never a whole record)."""
        if not self._buffer:
            self._fill(1)
        data = bytes(self._buffer[:most])
        del self._buffer[:most]
        return data
