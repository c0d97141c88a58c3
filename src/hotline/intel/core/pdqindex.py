"""Near-match index for PDQ hashes: exact multi-index hashing in numpy, immutable, saved to and loaded from one file.

Why this structure (measured with `bench/intel.py`; figures in README.md beside this module): every hash within Hamming
distance t of a query is found, never just most of them. The 256 bits are split into m substrings; if two hashes
differ in at most t bits, then for radii r_i with sum(r_i + 1) >= t + 1 at least one substring i differs in at most
r_i bits (pigeonhole: otherwise the total would be at least t + 1). So probing, for every substring, each bucket
within r_i bits of the query's substring finds every true match; the candidates are then checked on all 256 bits.
With m close to 256 / log2(N) a bucket holds about one hash, so a query at N = 10 million probes ~3,000 buckets and
checks ~3,000 candidates. faiss's `IndexBinaryMultiHash` is the same idea, but its hash maps keep an 8-byte id plus
map overhead per entry and table (3.3 GB per 10 M hashes at 16 tables, measured); here a table is one sorted array of
4-byte entries (24-bit row number + the key's low bits) and a dense array of offsets by the key's high bits.

Memory: 32 bytes per hash for the hashes themselves, 4 bytes per hash and table for the entries (m ~ 11 at 10 M),
4 bytes per prefix bucket and table for the offsets, plus the optional ids (4 or 8 bytes per hash).
The index never changes once built: the app builds a new one (in the worker) and swaps the reference.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import mmap
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hotline.intel.core.errors import InvalidHash
from hotline.intel.core.hashes import PDQ_BITS, PDQ_DEFAULT_THRESHOLD, HashType, HashValue, parse_hash

PDQ_BYTES = PDQ_BITS // 8
_MAGIC = b"HOTLINE-PDQ-MIH\n"
_FORMAT_VERSION = 1
_ALIGN = 64
_SMALL_ROW_BITS = 24  # rows stored in the low 24 bits of a uint32 entry, up to 16,777,216 hashes
_SMALL_SUFFIX_BITS = 8
_MAX_PREFIX_BITS = 24
# Probing touches buckets at random and a scan reads rows in order: above this fraction of the rows in probes and
# scanned entries (tiny indexes, large thresholds) a scan of every row is the cheaper exact answer.
_SCAN_FRACTION = 0.25

Codes = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class PdqMatch:
    id: int
    distance: int


@dataclass(frozen=True, slots=True)
class _Table:
    start: int  # first bit of the substring in the 256-bit string of the 8 uint32 lanes
    width: int
    prefix_bits: int  # high bits of the key addressed through the offsets array; the rest is stored in the entry


def pack_pdq(hashes: Iterable[HashValue | str | bytes]) -> Codes:
    """PDQ hashes (HashValue, hex text or 32 raw bytes each) -> (N, 32) uint8 array, the input of `PdqIndex.build`."""
    parts: list[bytes] = []
    for item in hashes:
        if isinstance(item, HashValue):
            if item.type is not HashType.PDQ:
                raise InvalidHash(
                    "not_pdq", "Only PDQ hashes go into the near-match index, not {label}.", label=item.type.label
                )
            parts.append(item.digest)
        elif isinstance(item, bytes):
            if len(item) != PDQ_BYTES:
                raise InvalidHash("wrong_length", "A PDQ hash has 32 bytes; this one has {actual}.", actual=len(item))
            parts.append(item)
        else:
            parts.append(parse_hash(HashType.PDQ, item).digest)
    return np.frombuffer(b"".join(parts), dtype=np.uint8).reshape(-1, PDQ_BYTES).copy()


def pack_pdq_hex(hex_values: Sequence[str]) -> Codes:
    """Fast path for hex text already in normal form (e.g. read back from the database): one bytes.fromhex call."""
    if not hex_values:
        return np.zeros((0, PDQ_BYTES), dtype=np.uint8)
    raw = bytes.fromhex("".join(hex_values))
    if len(raw) != PDQ_BYTES * len(hex_values):
        raise InvalidHash("wrong_length", "Every PDQ hash has 64 hex digits.")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, PDQ_BYTES).copy()


def _query_code(query: HashValue | str | bytes | Codes) -> Codes:
    if isinstance(query, np.ndarray):
        code = np.ascontiguousarray(query, dtype=np.uint8).reshape(-1)
        if code.size != PDQ_BYTES:
            raise InvalidHash("wrong_length", "A PDQ hash has 32 bytes; this one has {actual}.", actual=code.size)
        return code
    return pack_pdq([query]).reshape(-1)


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= PDQ_BITS:
        raise ValueError(f"threshold must be an integer from 0 to {PDQ_BITS}")
    return threshold


def brute_force_search(
    codes: Codes, query: HashValue | str | bytes | Codes, threshold: int = PDQ_DEFAULT_THRESHOLD
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Reference search: distance from the query to every row. Returns (row numbers, distances) with distance <=
    threshold, in row order. The index is tested and benchmarked against this."""
    _check_threshold(threshold)
    rows = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, PDQ_BYTES)
    q = _query_code(query).view(np.uint64)
    distances = np.bitwise_count(rows.view(np.uint64) ^ q).sum(axis=1, dtype=np.int64)
    hits = np.flatnonzero(distances <= threshold)
    return hits.astype(np.int64), distances[hits]


def _substring_keys(lanes: npt.NDArray[np.uint32], start: int, width: int) -> npt.NDArray[np.uint32]:
    """Bits [start, start + width) of each row, reading its 8 uint32 lanes as one 256-bit number, lane 0 first."""
    lane, offset = divmod(start, 32)
    if offset + width <= 32:
        shifted = lanes[:, lane] >> np.uint32(32 - offset - width)
        return (shifted & np.uint32((1 << width) - 1)).astype(np.uint32, copy=False)
    window = (lanes[:, lane].astype(np.uint64) << np.uint64(32)) | lanes[:, lane + 1].astype(np.uint64)
    return ((window >> np.uint64(64 - offset - width)) & np.uint64((1 << width) - 1)).astype(np.uint32)


def _query_keys(lanes: Sequence[int], tables: Sequence[_Table]) -> list[int]:
    number = 0
    for lane in lanes:
        number = (number << 32) | int(lane)
    return [(number >> (PDQ_BITS - t.start - t.width)) & ((1 << t.width) - 1) for t in tables]


def default_substrings(n: int) -> int:
    """m near 256 / (log2(N) + 1): about two hashes per full-width bucket. Theory puts the optimum at one per bucket
    (256 / log2 N); measured here, one substring fewer is as fast at 10 M and 40 MB smaller, faster at 1 M."""
    return min(16, max(8, round(PDQ_BITS / (math.log2(max(n, 2)) + 1))))


def _layout(n: int, substrings: int, suffix_cap: int) -> tuple[_Table, ...]:
    base, extra = divmod(PDQ_BITS, substrings)
    widths = [base + 1] * extra + [base] * (substrings - extra)
    if max(widths) > 32:
        raise ValueError("at least 8 substrings are needed (a substring key has at most 32 bits)")
    wanted_prefix = max(0, int(math.log2(max(n, 1))) - 3)  # about 8 entries per prefix bucket
    tables = []
    start = 0
    for width in widths:
        prefix = min(width, _MAX_PREFIX_BITS, max(width - suffix_cap, wanted_prefix))
        if width - prefix > suffix_cap:
            raise ValueError("substrings too wide for this many hashes: use more substrings")
        tables.append(_Table(start, width, prefix))
        start += width
    return tuple(tables)


def _radii(threshold: int, m: int) -> list[int]:
    """Smallest per-substring radii with sum(r + 1) >= threshold + 1; -1 means the substring need not be probed."""
    quotient, remainder = divmod(threshold + 1, m)
    return [quotient] * remainder + [quotient - 1] * (m - remainder)


@lru_cache(maxsize=64)
def _masks(width: int, radius: int) -> npt.NDArray[np.int64]:
    """Every XOR mask of at most `radius` set bits over `width` bits, fewest bits first."""
    out = [0]
    for bits in range(1, radius + 1):
        for chosen in itertools.combinations(range(width), bits):
            out.append(sum(1 << b for b in chosen))
    return np.array(out, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Plan:
    table_of_probe: npt.NDArray[np.intp]
    masks: npt.NDArray[np.int64]
    shift: npt.NDArray[np.int64]
    suffix_mask: npt.NDArray[np.int64]
    offset_base: npt.NDArray[np.int64]


class PdqIndex:
    """Immutable exact near-match index of PDQ hashes. `search` returns every hash within the threshold.

    Build with `PdqIndex.build(codes, ids=...)`; `save(path)` writes one file atomically, `PdqIndex.load(path)` maps
    it read-only (processes that load the same file share its pages). Safe to search from many threads."""

    __slots__ = (
        "_codes",
        "_entries",
        "_ids",
        "_offset_base",
        "_offsets",
        "_plans",
        "_row_bits",
        "_tables",
        "build_seconds",
    )

    def __init__(
        self,
        *,
        codes: Codes,
        entries: npt.NDArray[Any],
        offsets: npt.NDArray[Any],
        tables: tuple[_Table, ...],
        ids: npt.NDArray[Any] | None,
        row_bits: int,
        build_seconds: float = 0.0,
    ) -> None:
        for array in (codes, entries, offsets, ids):
            if array is not None and array.flags.writeable:
                array.flags.writeable = False
        self._codes = codes
        self._entries = entries
        self._offsets = offsets
        self._tables = tables
        self._ids = ids
        self._row_bits = row_bits
        bases, total = [], 0
        for t in tables:
            bases.append(total)
            total += (1 << t.prefix_bits) + 1
        self._offset_base = tuple(bases)
        self._plans: dict[int, _Plan | None] = {}
        self._plan(PDQ_DEFAULT_THRESHOLD)  # so that the first search of a fresh index costs what the others do
        self.build_seconds = build_seconds

    # --- building -------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        codes: Codes,
        *,
        ids: Sequence[int] | npt.NDArray[Any] | None = None,
        substrings: int | None = None,
        copy: bool = True,
    ) -> PdqIndex:
        """Index an (N, 32) uint8 array of PDQ hashes (see `pack_pdq`). `ids[i]` is returned for row i (default: i).
        copy=False hands the array over to the index (it becomes read-only) instead of copying 32 bytes per hash."""
        started = time.perf_counter()
        array = np.asarray(codes)
        if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] != PDQ_BYTES:
            raise ValueError("codes must be an (N, 32) uint8 array (see pack_pdq)")
        owned = np.array(array, dtype=np.uint8, order="C", copy=True) if copy else np.ascontiguousarray(array)
        n = owned.shape[0]
        id_array = _id_array(ids, n)
        small = n <= (1 << _SMALL_ROW_BITS)
        row_bits = _SMALL_ROW_BITS if small else 32
        tables = _layout(n, substrings or default_substrings(n), _SMALL_SUFFIX_BITS if small else 31)
        entry_dtype = np.uint32 if small else np.uint64
        entries = np.empty(len(tables) * n, dtype=entry_dtype)
        offsets = np.empty(
            sum((1 << t.prefix_bits) + 1 for t in tables), dtype=np.uint32 if len(tables) * n < (1 << 32) else np.uint64
        )
        lanes = owned.view(np.uint32)
        row_numbers = np.arange(n, dtype=np.uint64)
        offset_at = 0
        for number, table in enumerate(tables):
            # Sorting (key << row_bits | row) as one integer groups the rows by key 2-3x faster than an argsort.
            suffix_bits = table.width - table.prefix_bits
            composite = _substring_keys(lanes, table.start, table.width).astype(np.uint64)
            composite <<= np.uint64(row_bits)
            composite |= row_numbers
            composite.sort()
            counts = np.bincount(composite >> np.uint64(row_bits + suffix_bits), minlength=1 << table.prefix_bits)
            block = offsets[offset_at : offset_at + (1 << table.prefix_bits) + 1]
            block[0] = number * n
            block[1:] = np.cumsum(counts) + number * n
            offset_at += block.size
            del counts
            composite &= np.uint64((1 << (row_bits + suffix_bits)) - 1)
            entries[number * n : (number + 1) * n] = composite
            del composite
        return cls(
            codes=owned,
            entries=entries,
            offsets=offsets,
            tables=tables,
            ids=id_array,
            row_bits=row_bits,
            build_seconds=time.perf_counter() - started,
        )

    # --- reading --------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._codes.shape[0])

    @property
    def substrings(self) -> int:
        return len(self._tables)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays (hashes, tables, offsets, ids)."""
        arrays = [self._codes, self._entries, self._offsets] + ([self._ids] if self._ids is not None else [])
        return sum(int(a.nbytes) for a in arrays)

    def strategy(self, threshold: int = PDQ_DEFAULT_THRESHOLD) -> str:
        """'probe' (multi-index lookup) or 'scan' (every row: tiny indexes, very large thresholds); both are exact."""
        return "scan" if self._plan(_check_threshold(threshold)) is None else "probe"

    def id_of(self, row: int) -> int:
        return int(self._ids[row]) if self._ids is not None else row

    def search(self, query: HashValue | str | bytes | Codes, threshold: int = PDQ_DEFAULT_THRESHOLD) -> list[PdqMatch]:
        """Every indexed hash within `threshold` bits of the query, nearest first (ties by id)."""
        rows, distances = self.search_rows(query, threshold)
        ids = self._ids[rows] if self._ids is not None else rows
        order = np.lexsort((ids, distances))
        return [PdqMatch(int(ids[i]), int(distances[i])) for i in order]

    def search_many(
        self,
        queries: Iterable[HashValue | str | bytes],
        threshold: int = PDQ_DEFAULT_THRESHOLD,
    ) -> list[list[PdqMatch]]:
        return [self.search(q, threshold) for q in queries]

    def search_rows(
        self,
        query: HashValue | str | bytes | Codes,
        threshold: int = PDQ_DEFAULT_THRESHOLD,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(row numbers, distances) within the threshold, in row order: the same answer as brute_force_search."""
        _check_threshold(threshold)
        code = _query_code(query)
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        plan = self._plan(threshold)
        if plan is None:
            return brute_force_search(self._codes, code, threshold)
        keys = np.array(_query_keys(code.view(np.uint32).tolist(), self._tables), dtype=np.int64)
        probes = keys[plan.table_of_probe] ^ plan.masks
        prefixes = (probes >> plan.shift) + plan.offset_base
        suffixes = probes & plan.suffix_mask
        lo = self._offsets[prefixes].astype(np.int64)
        counts = self._offsets[prefixes + 1].astype(np.int64) - lo
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        run_starts = lo - (np.cumsum(counts) - counts)
        positions = np.repeat(run_starts, counts) + np.arange(total, dtype=np.int64)
        entries = self._entries[positions].astype(np.int64)
        wanted = np.repeat(suffixes, counts)
        rows = np.unique(entries[(entries >> self._row_bits) == wanted] & ((1 << self._row_bits) - 1))
        distances = np.bitwise_count(self._codes.view(np.uint64)[rows] ^ code.view(np.uint64)).sum(
            axis=1, dtype=np.int64
        )
        keep = distances <= threshold
        return rows[keep], distances[keep]

    def _plan(self, threshold: int) -> _Plan | None:
        if threshold in self._plans:
            return self._plans[threshold]
        radii = _radii(threshold, len(self._tables))
        probed = [(i, t, r) for i, (t, r) in enumerate(zip(self._tables, radii, strict=True)) if r >= 0]
        probes = [sum(math.comb(t.width, k) for k in range(r + 1)) for _, t, r in probed]
        expected = sum(p * (1 + len(self) / (1 << t.prefix_bits)) for p, (_, t, _) in zip(probes, probed, strict=True))
        plan: _Plan | None = None
        if expected <= _SCAN_FRACTION * len(self):
            masks = [_masks(t.width, r) for _, t, r in probed]
            sizes = [m.size for m in masks]

            def repeat(values: list[int]) -> npt.NDArray[np.int64]:
                return np.repeat(np.array(values, dtype=np.int64), sizes)

            plan = _Plan(
                table_of_probe=np.repeat(np.array([i for i, _, _ in probed], dtype=np.intp), sizes),
                masks=np.concatenate(masks),
                shift=repeat([t.width - t.prefix_bits for _, t, _ in probed]),
                suffix_mask=repeat([(1 << (t.width - t.prefix_bits)) - 1 for _, t, _ in probed]),
                offset_base=repeat([self._offset_base[i] for i, _, _ in probed]),
            )
        self._plans[threshold] = plan  # a benign race: two threads may compute the same plan
        return plan

    # --- one file -------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to `path` atomically (a temporary file in the same directory, then rename): a process
        loading the path sees the old file or the new one, never half of one."""
        target = Path(path)
        arrays = {"codes": self._codes, "entries": self._entries, "offsets": self._offsets}
        if self._ids is not None:
            arrays["ids"] = self._ids
        layout: dict[str, dict[str, Any]] = {}
        positions: dict[str, int] = {}
        offset = 0
        for name, array in arrays.items():
            positions[name] = offset
            layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
            offset = _aligned(offset + array.nbytes)
        digest = hashlib.sha256()
        for array in arrays.values():
            digest.update(_bytes_of(array))
        header = json.dumps(
            {
                "version": _FORMAT_VERSION,
                "byteorder": sys.byteorder,
                "row_bits": self._row_bits,
                "tables": [[t.start, t.width, t.prefix_bits] for t in self._tables],
                "arrays": layout,
                "payload_bytes": offset,
                "sha256": digest.hexdigest(),
            }
        ).encode()
        preamble = _MAGIC + len(header).to_bytes(8, "little") + header
        data_start = _aligned(len(preamble))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(preamble.ljust(data_start, b"\0"))
                for name, array in arrays.items():
                    out.seek(data_start + positions[name])
                    out.write(_bytes_of(array))
                out.truncate(data_start + offset)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, use_mmap: bool = True, verify: bool = True) -> PdqIndex:
        """Open a file written by `save`. use_mmap maps it read-only (pages shared between processes); verify checks
        its SHA-256 (reads the whole file). A damaged or foreign file raises ValueError."""
        with open(path, "rb") as handle:
            preamble = handle.read(len(_MAGIC) + 8)
            if len(preamble) < len(_MAGIC) + 8 or not preamble.startswith(_MAGIC):
                raise ValueError(f"{path} is not a PDQ index file")
            header_length = int.from_bytes(preamble[len(_MAGIC) :], "little")
            if header_length > 1 << 20:
                raise ValueError(f"{path} has a damaged header")
            try:
                header = json.loads(handle.read(header_length))
            except ValueError as error:
                raise ValueError(f"{path} has a damaged header") from error
            if header.get("version") != _FORMAT_VERSION:
                raise ValueError(f"{path} is a PDQ index of format {header.get('version')}, not {_FORMAT_VERSION}")
            if header.get("byteorder") != sys.byteorder:
                raise ValueError(f"{path} was written on a {header.get('byteorder')}-endian machine")
            data_start = _aligned(len(_MAGIC) + 8 + header_length)
            size = os.fstat(handle.fileno()).st_size
            if size != data_start + header["payload_bytes"]:
                raise ValueError(f"{path} is truncated or has trailing data")
            buffer: Any
            if use_mmap:
                buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            else:
                handle.seek(0)
                buffer = handle.read()
        arrays = {}
        for name, spec in header["arrays"].items():
            dtype = np.dtype(spec["dtype"])
            count = math.prod(spec["shape"])
            array = np.frombuffer(buffer, dtype=dtype, count=count, offset=data_start + spec["offset"])
            arrays[name] = array.reshape(spec["shape"])
        if verify:
            digest = hashlib.sha256()
            for array in arrays.values():
                digest.update(_bytes_of(array))
            if digest.hexdigest() != header["sha256"]:
                raise ValueError(f"{path} is damaged (checksum mismatch)")
        tables = tuple(_Table(*spec) for spec in header["tables"])
        return cls(
            codes=arrays["codes"],
            entries=arrays["entries"],
            offsets=arrays["offsets"],
            tables=tables,
            ids=arrays.get("ids"),
            row_bits=int(header["row_bits"]),
        )


def _id_array(ids: Sequence[int] | npt.NDArray[Any] | None, n: int) -> npt.NDArray[Any] | None:
    if ids is None:
        return None
    array = np.asarray(ids)
    if array.shape != (n,) or (array.size and array.dtype.kind not in "iu"):
        raise ValueError("ids must be one integer per hash")
    if array.size and int(array.min()) >= 0 and int(array.max()) < (1 << 32):
        return array.astype(np.uint32)
    return array.astype(np.int64)


def _aligned(offset: int) -> int:
    return (offset + _ALIGN - 1) // _ALIGN * _ALIGN


def _bytes_of(array: npt.NDArray[Any]) -> memoryview:
    """The array's bytes without a copy (every array of the index is C-contiguous)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).data
