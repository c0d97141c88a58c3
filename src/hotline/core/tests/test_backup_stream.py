"""The encrypted backup format: whatever the size, it reads back as written, in bounded memory; a wrong key, a
cut-off, altered, reordered or extended file is refused with a message that says which."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest

from hotline.core.backup.stream import (
    CHUNK,
    MAGIC,
    TAG,
    BackupFileError,
    EncryptedReader,
    EncryptedWriter,
    PayloadReader,
    PayloadWriter,
)

KEY = ("bk1", os.urandom(32))
OTHER = ("bk2", os.urandom(32))


def sealed(data: bytes, key: tuple[str, bytes] = KEY) -> bytes:
    out = io.BytesIO()
    writer = EncryptedWriter(out, key_id=key[0], key=key[1])
    for start in range(0, len(data), 100_000):  # written in pieces of another size than the chunks
        writer.write(data[start : start + 100_000])
    writer.close()
    return out.getvalue()


def opened(blob: bytes, keys: tuple[tuple[str, bytes], ...] = (KEY,)) -> bytes:
    return b"".join(EncryptedReader(io.BytesIO(blob), keys))


def header_length(blob: bytes) -> int:
    return len(MAGIC) + 4 + int.from_bytes(blob[len(MAGIC) : len(MAGIC) + 4], "big")


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7])
def test_every_size_reads_back_as_written(size: int) -> None:
    data = os.urandom(size)
    assert opened(sealed(data)) == data


def test_two_files_of_the_same_data_share_no_ciphertext() -> None:
    data = b"the same data" * 1000
    first, second = sealed(data), sealed(data)
    assert first[header_length(first) :][:64] != second[header_length(second) :][:64]


def test_a_file_larger_than_memory_would_allow_is_streamed(tmp_path: os.PathLike[str]) -> None:
    """48 MiB in and out through files while Python allocates a few chunks at most."""
    path = os.path.join(tmp_path, "large.hlbk")
    block = os.urandom(1 << 20)
    tracemalloc.start()
    try:
        with open(path, "wb") as out:
            writer = EncryptedWriter(out, key_id=KEY[0], key=KEY[1])
            for _ in range(48):
                writer.write(block)
            writer.close()
        total = 0
        with open(path, "rb") as source:
            for piece in EncryptedReader(source, (KEY,)):
                assert piece == block[: len(piece)] or len(piece) == CHUNK
                total += len(piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 48 << 20
    assert peak < 12 << 20, f"peak {peak / 2**20:.1f} MiB for a 48 MiB file"


def test_a_wrong_key_is_named_as_such() -> None:
    blob = sealed(b"data")
    with pytest.raises(BackupFileError, match=r"Wrong key: this backup was made with the backup key 'bk1'"):
        opened(blob, (OTHER,))
    assert opened(blob, (OTHER, KEY)) == b"data"  # an older key still in the list opens it


def test_a_file_cut_off_anywhere_is_refused() -> None:
    blob = sealed(os.urandom(2 * CHUNK + 100))
    start = header_length(blob)
    for cut in [10, start - 1, start, start + 5, start + CHUNK + TAG, start + CHUNK + TAG + 1, len(blob) - 1]:
        with pytest.raises(BackupFileError, match=r"cut off|no data after its header|not a Hotline backup"):
            opened(blob[:cut])


def test_a_file_cut_off_exactly_after_a_whole_chunk_says_so() -> None:
    blob = sealed(os.urandom(2 * CHUNK + 100))
    with pytest.raises(BackupFileError, match="truncated\\) after a whole chunk"):
        opened(blob[: header_length(blob) + CHUNK + TAG])


@pytest.mark.parametrize("where", ["header", "first chunk", "last chunk", "tag"])
def test_a_changed_byte_is_refused(where: str) -> None:
    blob = bytearray(sealed(os.urandom(CHUNK + 500)))
    start = header_length(blob)
    index = {"header": start - 3, "first chunk": start + 10, "last chunk": len(blob) - 100, "tag": len(blob) - 1}
    blob[index[where]] ^= 0x01
    with pytest.raises(BackupFileError, match=r"damaged|altered|Wrong key"):
        opened(bytes(blob))


def test_swapped_chunks_and_added_data_are_refused() -> None:
    blob = sealed(os.urandom(3 * CHUNK + 10))
    start, size = header_length(blob), CHUNK + TAG
    chunks = [blob[start + i * size : start + (i + 1) * size] for i in range(4)]
    swapped = blob[:start] + chunks[1] + chunks[0] + chunks[2] + chunks[3]
    with pytest.raises(BackupFileError, match="damaged or was altered"):
        opened(swapped)
    with pytest.raises(BackupFileError, match="damaged"):
        opened(blob + b"more")


def test_other_files_and_other_format_versions_are_told_apart() -> None:
    with pytest.raises(BackupFileError, match="not a Hotline backup"):
        opened(b"SQLite format 3\x00" + os.urandom(100))
    newer = bytearray(sealed(b"x"))
    newer[len(MAGIC) - 1] = 2
    with pytest.raises(BackupFileError, match="file format 2, which this version of Hotline cannot read"):
        opened(bytes(newer))


def test_the_payload_checks_its_end_record_and_order() -> None:
    out = io.BytesIO()
    payload = PayloadWriter(EncryptedWriter(out, key_id=KEY[0], key=KEY[1]))
    payload.manifest({"tables": {}})
    data = os.urandom(CHUNK + 3)
    payload.data(data[:1000])
    payload.data(data[1000:])
    size, _digest = payload.end()
    assert size == len(data)
    reader = PayloadReader(iter(EncryptedReader(io.BytesIO(out.getvalue()), (KEY,))))
    assert reader.manifest == {"tables": {}}
    assert b"".join(reader.snapshot()) == data
    # A writer that stopped before its end record (never closed): its last chunk is missing, so it is refused.
    out = io.BytesIO()
    writer = EncryptedWriter(out, key_id=KEY[0], key=KEY[1])
    unfinished = PayloadWriter(writer)
    unfinished.manifest({"tables": {}})
    unfinished.data(os.urandom(2 * CHUNK))
    with pytest.raises(BackupFileError, match="cut off"):
        b"".join(PayloadReader(iter(EncryptedReader(io.BytesIO(out.getvalue()), (KEY,)))).snapshot())
