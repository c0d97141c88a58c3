"""The PDQ near-match index finds exactly what brute force finds, survives a file round trip, and never changes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from hotline.intel.core import InvalidHash, parse_hash, pdqindex
from hotline.intel.core.pdqindex import PdqIndex, PdqMatch, brute_force_search, pack_pdq, pack_pdq_hex


def random_codes(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32), dtype=np.uint8)


def flipped(code: np.ndarray, bits: np.ndarray | list[int]) -> np.ndarray:
    unpacked = np.unpackbits(code)
    unpacked[np.asarray(bits, dtype=np.intp)] ^= 1
    return np.packbits(unpacked)


def planted(n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n random hashes, `queries` random queries, and for query i a hash at distance i % 32 hidden among the rest."""
    rng = np.random.default_rng(seed)
    codes = random_codes(n, seed)
    query_codes = random_codes(queries, seed + 1)
    rows = rng.choice(n, queries, replace=False)
    for i, row in enumerate(rows):
        codes[row] = flipped(query_codes[i], rng.choice(256, i % 32, replace=False))
    return codes, query_codes


def assert_same_as_brute_force(index: PdqIndex, codes: np.ndarray, query: np.ndarray, threshold: int) -> None:
    rows, distances = index.search_rows(query, threshold)
    expected_rows, expected_distances = brute_force_search(codes, query, threshold)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_array_equal(distances, expected_distances)


@pytest.fixture(scope="module")
def mid() -> tuple[PdqIndex, np.ndarray, np.ndarray]:
    codes, queries = planted(40_000, 64, seed=7)
    return PdqIndex.build(codes), codes, queries


@pytest.mark.parametrize("threshold", [0, 1, 5, 16, 31, 40, 64, 256])
def test_search_equals_brute_force(mid: tuple[PdqIndex, np.ndarray, np.ndarray], threshold: int) -> None:
    index, codes, queries = mid
    for query in queries:
        assert_same_as_brute_force(index, codes, query, threshold)


def test_every_planted_near_duplicate_is_found(mid: tuple[PdqIndex, np.ndarray, np.ndarray]) -> None:
    index, _, queries = mid
    assert index.strategy(31) == "probe"
    for i, query in enumerate(queries):
        assert i % 32 in [m.distance for m in index.search(query)]


def test_the_worst_case_of_the_pigeonhole_is_still_found() -> None:
    """A hash at distance 31 whose bits are spread so that exactly one substring is within its probing radius, for
    each substring in turn: only that substring's table can find it, and it must."""
    codes = random_codes(30_000, seed=3)
    index = PdqIndex.build(codes)
    tables = index._tables
    radii = pdqindex._radii(31, len(tables))
    assert sum(r + 1 for r in radii) == 32
    query = random_codes(1, seed=4)[0]
    lanes_to_bits = _bit_positions_by_substring(tables)
    for lucky in range(len(tables)):
        bits = []
        for number, positions in enumerate(lanes_to_bits):
            take = radii[number] + (0 if number == lucky else 1)
            bits.extend(positions[:take])
        assert len(bits) == 31
        near = flipped(query, bits)
        extended = np.vstack([codes, near])
        one_more = PdqIndex.build(extended)
        assert PdqMatch(len(codes), 31) in one_more.search(query, 31)
        # One more bit in the lucky substring: 32 bits, outside the threshold, found at 32.
        farther = flipped(query, [*bits, lanes_to_bits[lucky][radii[lucky]]])
        with_farther = PdqIndex.build(np.vstack([codes, farther]))
        assert len(codes) not in [m.id for m in with_farther.search(query, 31)]
        assert PdqMatch(len(codes), 32) in with_farther.search(query, 32)


def _bit_positions_by_substring(tables: tuple[object, ...]) -> list[list[int]]:
    """For each substring, positions in np.unpackbits order of the bits it covers. Substring bits count over the 8
    native uint32 lanes, lane 0 first and most significant bit first; unpackbits counts bytes in memory order."""
    positions: list[list[int]] = []
    for table in tables:
        bits = []
        for bit in range(table.start, table.start + table.width):  # type: ignore[attr-defined]
            lane, within = divmod(bit, 32)
            value_bit = 31 - within  # 0 = least significant bit of the lane value
            byte = lane * 4 + (value_bit // 8 if np.little_endian else 3 - value_bit // 8)
            bits.append(byte * 8 + (7 - value_bit % 8))
        positions.append(bits)
    flat = sorted(b for group in positions for b in group)
    assert flat == list(range(256))
    return positions


def test_tiny_indexes_scan_and_still_answer_exactly() -> None:
    codes, queries = planted(500, 32, seed=11)
    index = PdqIndex.build(codes)
    assert index.strategy(31) == "scan"
    for query in queries:
        assert_same_as_brute_force(index, codes, query, 31)


def test_more_than_16_million_rows_use_wide_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above 2**24 hashes a row number no longer fits the 24 bits of a 4-byte entry; the 8-byte layout is tested
    here on a small index by lowering that limit."""
    monkeypatch.setattr(pdqindex, "_SMALL_ROW_BITS", 10)
    codes, queries = planted(20_000, 32, seed=5)
    index = PdqIndex.build(codes)
    assert index._entries.dtype == np.uint64
    assert index.strategy(31) == "probe"
    for query in queries:
        assert_same_as_brute_force(index, codes, query, 31)


def test_ids_and_order_of_matches() -> None:
    base = random_codes(1, seed=1)[0]
    codes = np.vstack([flipped(base, list(range(d))) for d in (5, 0, 31, 32, 5)] + [random_codes(2000, 2)])
    ids = np.arange(codes.shape[0], dtype=np.int64) + 10_000_000_000  # beyond 32 bits: stored as int64
    index = PdqIndex.build(codes, ids=ids)
    assert index.search(base) == [
        PdqMatch(10_000_000_001, 0),
        PdqMatch(10_000_000_000, 5),
        PdqMatch(10_000_000_004, 5),
        PdqMatch(10_000_000_002, 31),
    ]
    assert index.id_of(3) == 10_000_000_003
    hex_query = base.tobytes().hex()
    assert index.search(hex_query) == index.search(parse_hash("pdq", hex_query)) == index.search(base.tobytes())
    assert index.search_many([hex_query, hex_query.upper()]) == [index.search(base)] * 2


def test_the_index_is_immutable_and_owns_its_hashes() -> None:
    codes, queries = planted(20_000, 4, seed=9)
    original = codes.copy()
    index = PdqIndex.build(codes)
    before = [index.search(q) for q in queries]
    codes[:] = 0  # the caller's array is the caller's
    assert [index.search(q) for q in queries] == before
    for array in (index._codes, index._entries, index._offsets):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 1
    handed_over = PdqIndex.build(original, copy=False)
    assert not original.flags.writeable
    assert [handed_over.search(q) for q in queries] == before
    with pytest.raises(AttributeError):
        index.extra = 1  # type: ignore[attr-defined]


def test_save_and_load(tmp_path: Path, mid: tuple[PdqIndex, np.ndarray, np.ndarray]) -> None:
    index, _, queries = mid
    path = tmp_path / "lists" / "pdq.index"
    index.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["pdq.index"]  # no temporary file left behind
    for use_mmap in (True, False):
        loaded = PdqIndex.load(path, use_mmap=use_mmap)
        assert len(loaded) == len(index) and loaded.nbytes == index.nbytes
        for query in queries[:16]:
            assert loaded.search(query) == index.search(query)
        assert not loaded._codes.flags.writeable


def test_a_damaged_or_foreign_file_is_refused(tmp_path: Path) -> None:
    codes = random_codes(3000, seed=12)
    path = tmp_path / "pdq.index"
    PdqIndex.build(codes, ids=list(range(3000))).save(path)
    data = bytearray(path.read_bytes())
    damaged = tmp_path / "damaged.index"
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        PdqIndex.load(damaged)
    assert len(PdqIndex.load(damaged, verify=False)) == 3000  # the caller may skip the check knowingly
    truncated = tmp_path / "truncated.index"
    truncated.write_bytes(bytes(data[:-1]))
    with pytest.raises(ValueError, match="truncated"):
        PdqIndex.load(truncated)
    foreign = tmp_path / "foreign.index"
    foreign.write_bytes(b"PK\x03\x04 not an index at all")
    with pytest.raises(ValueError, match="not a PDQ index"):
        PdqIndex.load(foreign)


def test_concurrent_searches_agree(mid: tuple[PdqIndex, np.ndarray, np.ndarray]) -> None:
    index, _, queries = mid
    expected = [index.search(q) for q in queries]
    results: dict[int, list[list[PdqMatch]]] = {}

    def run(number: int) -> None:
        results[number] = [index.search(q) for q in queries]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[n] == expected for n in range(4))


def test_empty_index_and_bad_arguments() -> None:
    empty = PdqIndex.build(np.zeros((0, 32), dtype=np.uint8))
    assert len(empty) == 0 and empty.search("0" * 64) == []
    index = PdqIndex.build(random_codes(100, seed=1))
    for threshold in (-1, 257, 3.5, True):
        with pytest.raises(ValueError):
            index.search("0" * 64, threshold)  # type: ignore[arg-type]
    with pytest.raises(InvalidHash):
        index.search("0" * 63)
    with pytest.raises(ValueError):
        PdqIndex.build(np.zeros((3, 16), dtype=np.uint8))
    with pytest.raises(ValueError):
        PdqIndex.build(random_codes(10, seed=1), ids=[1, 2])
    with pytest.raises(ValueError):
        PdqIndex.build(random_codes(10, seed=1), substrings=7)


def test_packing() -> None:
    hexes = [random_codes(1, seed=s)[0].tobytes().hex() for s in range(3)]
    packed = pack_pdq([hexes[0], parse_hash("pdq", hexes[1]), bytes.fromhex(hexes[2])])
    np.testing.assert_array_equal(packed, pack_pdq_hex(hexes))
    assert pack_pdq_hex([]).shape == (0, 32)
    with pytest.raises(InvalidHash):
        pack_pdq([parse_hash("md5", "0" * 32)])
    with pytest.raises(InvalidHash):
        pack_pdq([b"\0" * 31])
    with pytest.raises(InvalidHash):
        pack_pdq_hex(["00" * 31])
