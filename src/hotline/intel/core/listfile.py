"""Reading hash list files (CSV and JSON) into parsed rows and per-line errors, without deciding what to import.

CSV: UTF-8 (a byte-order mark is allowed), comma, semicolon or tab separated, a header row naming the columns
`hash` (or `value`), and optionally `type`, `quality` (PDQ only) and `label`; names in any case, unknown columns
refused (a misspelt `qualty` must not silently drop every quality). Without a `type` column the caller says the type
of the whole list. Blank lines and lines starting with `#` are skipped.

JSON: an array of objects, or an object whose `hashes` member is that array; each object has `hash` (or `value`),
and optionally `type`, `quality`, `label`. Errors name the line on which the object starts.

The readers yield every row, good (`HashRow`) or bad (`RowError`, with the line number and a stable code), so that
the caller can report every bad row at once and import nothing from a file that has any.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hotline.intel.core.errors import InvalidHash, InvalidValue
from hotline.intel.core.hashes import HashType, HashValue, parse_hash, parse_hash_type

LABEL_MAX_LENGTH = 200
_COLUMNS = {"hash": "hash", "value": "hash", "type": "type", "quality": "quality", "label": "label"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # whitespace controls become spaces


@dataclass(frozen=True, slots=True)
class HashRow:
    line: int
    hash: HashValue
    label: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _row(
    line: int, raw_hash: object, raw_type: object, quality: object, label: object, default_type: HashType | None
) -> HashRow | RowError:
    try:
        hash_type = _row_type(raw_type, default_type)
        value = parse_hash(hash_type, raw_hash if isinstance(raw_hash, str) else _not_text(raw_hash), quality=quality)
        return HashRow(line, value, _label(label))
    except InvalidValue as error:
        return RowError(line, error.code, error.message)


def _not_text(value: object) -> str:
    if value is None:
        raise InvalidHash("empty", "The hash is empty.")
    raise InvalidHash("not_text", "A hash must be text, not {kind}.", kind=type(value).__name__)


def _row_type(raw_type: object, default_type: HashType | None) -> HashType:
    if raw_type in (None, ""):
        if default_type is None:
            raise InvalidHash("no_type", "The row names no hash type, and the list has no type of its own.")
        return default_type
    if not isinstance(raw_type, str):
        raise InvalidHash("unknown_type", "The hash type must be text: md5, sha1, sha256 or pdq.")
    row_type = parse_hash_type(raw_type)
    if default_type is not None and row_type is not default_type:
        raise InvalidHash(
            "type_mismatch",
            "This list holds {expected} hashes; the row says {actual}.",
            expected=default_type.label,
            actual=row_type.label,
        )
    return row_type


def _label(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidHash("bad_label", "The label must be text.")
    label = " ".join(_CONTROL.sub("", value).split())
    if len(label) > LABEL_MAX_LENGTH:
        raise InvalidHash("label_too_long", "The label is longer than {limit} characters.", limit=LABEL_MAX_LENGTH)
    return label


# --- CSV --------------------------------------------------------------------------------------------------
def read_hash_csv(lines: Iterable[str], *, hash_type: HashType | None = None) -> Iterator[HashRow | RowError]:
    """Rows of a CSV hash list (see the module docstring). A bad header is one RowError and the end of the file."""
    source = _numbered_content(lines)
    first = next(source, None)
    if first is None:
        yield RowError(1, "empty_file", "The file has no header row and no hashes.")
        return
    header_line, header_text = first
    delimiter = max(",;\t", key=header_text.count) if any(d in header_text for d in ",;\t") else ","
    header = next(csv.reader([header_text], delimiter=delimiter))
    columns, problem = _header(header, hash_type)
    if problem:
        yield RowError(header_line, "bad_header", problem)
        return
    width = len(columns)
    position = {name: i for i, name in enumerate(columns)}
    hash_at, type_at = position["hash"], position.get("type")
    quality_at, label_at = position.get("quality"), position.get("label")
    lines_read = _RecordLines(source)
    reader = csv.reader(lines_read, delimiter=delimiter, strict=True)
    while True:
        lines_read.first = 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RowError(lines_read.first, "bad_csv", f"This line is not valid CSV: {error}.")
            continue
        line = lines_read.first
        if len(cells) > width:
            yield RowError(line, "wrong_columns", f"The row has {len(cells)} columns; the header has {width}.")
            continue
        if len(cells) < width:  # writers that leave out empty trailing columns
            cells += [""] * (width - len(cells))
        yield _row(
            line,
            cells[hash_at],
            cells[type_at] if type_at is not None else None,
            cells[quality_at] if quality_at is not None else None,
            cells[label_at] if label_at is not None else None,
            hash_type,
        )


def _numbered_content(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(lines, start=1):
        if number == 1:
            text = text.removeprefix("\ufeff")
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            yield number, text


class _RecordLines:
    """The lines csv.reader reads, remembering the first line of the current record (a quoted field may span
    several lines; the row is reported by the line it starts on)."""

    def __init__(self, numbered: Iterator[tuple[int, str]]) -> None:
        self._numbered = numbered
        self.first = 0

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        number, text = next(self._numbered)
        if not self.first:
            self.first = number
        return text


def _header(cells: list[str], hash_type: HashType | None) -> tuple[list[str], str]:
    names = [c.strip().lower() for c in cells]
    unknown = [c for c in names if c not in _COLUMNS]
    if unknown:
        return [], f"Unknown column {unknown[0]!r}: the columns are hash (or value), type, quality and label."
    columns = [_COLUMNS[n] for n in names]
    if len(set(columns)) != len(columns):
        return [], "A column appears twice in the header."
    if "hash" not in columns:
        return [], "The header has no hash column."
    if "type" not in columns and hash_type is None:
        return [], "The header has no type column: add one, or give the type of the whole list."
    return columns, ""


# --- JSON -------------------------------------------------------------------------------------------------
def read_hash_json(text: str, *, hash_type: HashType | None = None) -> Iterator[HashRow | RowError]:
    """Rows of a JSON hash list (see the module docstring), each reported by the line its object starts on."""
    decoder = json.JSONDecoder()
    try:
        position = _array_start(text.removeprefix("\ufeff"), decoder)
    except json.JSONDecodeError as error:
        yield RowError(error.lineno, "bad_json", f"This is not valid JSON: {error.msg}.")
        return
    except ValueError as error:
        yield RowError(1, "bad_json", f"The file is not a hash list: {error}.")
        return
    text = text.removeprefix("\ufeff")
    line, counted = 1, 0
    position = _skip_space(text, position)
    if text.startswith("]", position):
        return
    while True:
        line += text.count("\n", counted, position)
        counted = position
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield RowError(error.lineno, "bad_json", f"This is not valid JSON: {error.msg}.")
            return
        yield _json_row(line, item, hash_type)
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif text.startswith("]", position):
            return
        else:
            yield RowError(_line_of(text, position), "bad_json", "Expected ',' or ']' after an entry.")
            return


def _array_start(text: str, decoder: json.JSONDecoder) -> int:
    """Position just after the '[' of the list: the top-level array, or the "hashes" member of the top object."""
    position = _skip_space(text, 0)
    if text.startswith("[", position):
        return position + 1
    if not text.startswith("{", position):
        raise ValueError('it must be a JSON array of hashes, or an object with a "hashes" array')
    position = _skip_space(text, position + 1)
    while not text.startswith("}", position):
        key, position = decoder.raw_decode(text, position)
        if not isinstance(key, str):
            raise json.JSONDecodeError("Expecting property name", text, position)
        position = _skip_space(text, position)
        if not text.startswith(":", position):
            raise json.JSONDecodeError("Expecting ':'", text, position)
        position = _skip_space(text, position + 1)
        if key == "hashes":
            if not text.startswith("[", position):
                raise ValueError('"hashes" must be an array')
            return position + 1
        _, position = decoder.raw_decode(text, position)
        position = _skip_space(text, position)
        if text.startswith(",", position):
            position = _skip_space(text, position + 1)
        elif not text.startswith("}", position):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
    raise ValueError('the object has no "hashes" array')


def _json_row(line: int, item: Any, hash_type: HashType | None) -> HashRow | RowError:
    if not isinstance(item, dict):
        return RowError(line, "bad_entry", "Each entry must be an object with a hash.")
    unknown = [key for key in item if key not in _COLUMNS]
    if unknown:
        return RowError(
            line,
            "unknown_field",
            f"Unknown field {unknown[0]!r}: the fields are hash (or value), type, quality and label.",
        )
    if "hash" in item and "value" in item:
        return RowError(line, "bad_entry", "An entry has either hash or value, not both.")
    return _row(
        line, item.get("hash", item.get("value")), item.get("type"), item.get("quality"), item.get("label"), hash_type
    )


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1
