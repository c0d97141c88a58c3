"""Hash list files: every row parsed or reported by its line, headers checked, CSV and JSON alike."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from hotline.intel.core import HashRow, HashType, RowError, read_hash_csv, read_hash_json

MD5 = hashlib.md5(b"a").hexdigest()
SHA1 = hashlib.sha1(b"a").hexdigest()
PDQ = "a" * 64  # made up


def csv_rows(text: str, **kwargs: object) -> list[HashRow | RowError]:
    return list(read_hash_csv(io.StringIO(text), **kwargs))  # type: ignore[arg-type]


def errors(rows: list[HashRow | RowError]) -> list[tuple[int, str]]:
    return [(r.line, r.code) for r in rows if isinstance(r, RowError)]


def test_a_good_csv_file() -> None:
    rows = csv_rows(f"\ufeffType,Hash,Quality,Label\nmd5,{MD5.upper()},,first\r\nPDQ,{PDQ},87, sample  two \n")
    assert rows == [
        HashRow(2, rows[0].hash, "first"),  # type: ignore[union-attr]
        HashRow(3, rows[1].hash, "sample two"),  # type: ignore[union-attr]
    ]
    first, second = rows
    assert isinstance(first, HashRow) and isinstance(second, HashRow)
    assert (first.hash.type, first.hash.hex, first.hash.quality) == (HashType.MD5, MD5, None)
    assert (second.hash.type, second.hash.hex, second.hash.quality) == (HashType.PDQ, PDQ, 87)


def test_every_bad_row_is_reported_by_its_line_and_good_rows_still_parse() -> None:
    text = (
        "type,hash,quality\n"  # 1
        f"md5,{MD5}\n"  # 2 good (trailing empty column left out)
        "# a comment\n"  # 3
        "\n"  # 4
        f"md5,{MD5[:-1]},\n"  # 5 too short
        f"sha1,{SHA1},50\n"  # 6 quality on SHA-1
        f"pdq,{PDQ},101\n"  # 7 quality out of range
        f"whirlpool,{MD5},\n"  # 8 unknown type
        f"md5,{MD5},,extra\n"  # 9 too many columns
        f',"{MD5}",\n'  # 10 no type
        f"sha1,{SHA1},\n"  # 11 good
    )
    rows = csv_rows(text)
    assert errors(rows) == [
        (5, "wrong_length"),
        (6, "quality_not_pdq"),
        (7, "quality_out_of_range"),
        (8, "unknown_type"),
        (9, "wrong_columns"),
        (10, "no_type"),
    ]
    assert [r.line for r in rows if isinstance(r, HashRow)] == [2, 11]
    assert str(next(r for r in rows if isinstance(r, RowError))) == (
        "line 5: An MD5 hash has 32 hex digits; this one has 31."
    )


def test_a_multi_line_quoted_field_is_reported_by_the_line_it_starts_on() -> None:
    rows = csv_rows(f'type,hash,label\nmd5,{MD5},"two\nlines"\nmd5,nothex,x\n')
    assert isinstance(rows[0], HashRow) and rows[0].line == 2 and rows[0].label == "two lines"
    assert errors(rows) == [(4, "not_hex")]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("type,hash,qualty", "Unknown column 'qualty'"),
        ("type,type,hash", "appears twice"),
        ("type,label", "no hash column"),
        ("hash,label", "no type column"),
    ],
)
def test_a_bad_header_is_one_error_and_the_end(header: str, message: str) -> None:
    rows = csv_rows(f"{header}\nmd5,{MD5},x\n")
    assert len(rows) == 1 and isinstance(rows[0], RowError)
    assert (rows[0].line, rows[0].code) == (1, "bad_header")
    assert message in rows[0].message


def test_the_list_type_replaces_the_type_column_and_must_agree_with_it() -> None:
    rows = csv_rows(f"hash\n{SHA1}\n", hash_type=HashType.SHA1)
    assert isinstance(rows[0], HashRow) and rows[0].hash.type is HashType.SHA1
    rows = csv_rows(f"type;hash\nsha1;{SHA1}\nmd5;{MD5}\n;{SHA1}\n", hash_type=HashType.SHA1)
    assert errors(rows) == [(3, "type_mismatch")]
    assert len([r for r in rows if isinstance(r, HashRow)]) == 2


def test_tab_separated_and_empty_files() -> None:
    assert errors(csv_rows(f"value\ttype\n{MD5}\tmd5\n")) == []
    assert errors(csv_rows("")) == [(1, "empty_file")]
    assert errors(csv_rows("# only a comment\n\n")) == [(1, "empty_file")]


def test_a_json_list_reports_the_line_each_entry_starts_on() -> None:
    text = (
        '{"list": "example", "meta": {"a": [1, 2]},\n'  # 1
        ' "hashes": [\n'  # 2
        f'  {{"type": "md5", "hash": "{MD5}", "label": "one"}},\n'  # 3
        f'  {{"type": "pdq", "value": "{PDQ}",\n'  # 4
        '   "quality": 90},\n'  # 5
        '  {"type": "md5", "hash": 5},\n'  # 6
        '  "not an object",\n'  # 7
        f'  {{"type": "md5", "hash": "{MD5}", "colour": "red"}},\n'  # 8
        f'  {{"type": "md5", "hash": "{MD5}", "value": "{MD5}"}}\n'  # 9
        " ]}\n"
    )
    rows = list(read_hash_json(text))
    assert [r.line for r in rows if isinstance(r, HashRow)] == [3, 4]
    assert rows[1].hash.quality == 90  # type: ignore[union-attr]
    assert errors(rows) == [(6, "not_text"), (7, "bad_entry"), (8, "unknown_field"), (9, "bad_entry")]


def test_a_plain_json_array_and_broken_json() -> None:
    rows = list(read_hash_json(json.dumps([{"hash": SHA1}]), hash_type=HashType.SHA1))
    assert isinstance(rows[0], HashRow)
    assert list(read_hash_json("[]")) == []
    assert errors(list(read_hash_json(f'[\n{{"type": "md5", "hash": "{MD5}"}}\n{{"x": 1}}]'))) == [(3, "bad_json")]
    assert errors(list(read_hash_json('[{"type": "md5", "hash": '))) == [(1, "bad_json")]
    assert errors(list(read_hash_json('{"list": "x"}'))) == [(1, "bad_json")]
    assert errors(list(read_hash_json('"hashes"'))) == [(1, "bad_json")]
    assert errors(list(read_hash_json('{"hashes": 5}'))) == [(1, "bad_json")]
