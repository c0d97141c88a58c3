"""Pure rules of the coalition export: what an indicator in it may hold, and the bytes of its CSV and JSON files.

The export holds indicators only. Its rows are built from named fields of PaymentIndicator (never from a case,
a report or a sighting), so nothing about a case can reach it by accident; a free-text value that looks like a
web address is refused when it is entered and left out of the export again here, since a web address in a
merchant descriptor would be the one way a URL of material could slip into the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from hotline.core import csv as safe_csv

FORMAT_NAME = "hotline-coalition-indicators"
FORMAT_VERSION = 1
# The JSON file's JSON Schema (draft 2020-12), given to members with the exports.
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "coalition-export-v1.schema.json"
# The only fields of an indicator in the export, in file order (docs/coalition.md describes each).
EXPORT_FIELDS: tuple[str, ...] = ("kind", "value", "network", "subtype", "first_seen", "last_seen", "case_count")

_WEB_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]*://|(^|\s)www\.|/", re.IGNORECASE)
# Kinds whose normal form is free text (or, for other cryptocurrencies, anything printable): a web address there
# is a mistake. A payment domain's normal form is a bare host name and cannot hold a path.
FREE_TEXT_KINDS = frozenset({"merchant_descriptor", "payment_provider", "card_scheme", "other_crypto"})


def looks_like_web_address(text: str) -> bool:
    """A scheme (https://), a leading www. or a path separator: the shape of a URL, not of a name or address."""
    return bool(_WEB_ADDRESS.search(text))


def may_be_exported(*, kind: str, value: str, network: str, subtype: str) -> bool:
    if kind in FREE_TEXT_KINDS and (looks_like_web_address(value) or looks_like_web_address(network)):
        return False
    return not looks_like_web_address(subtype)


@dataclass(frozen=True)
class ExportRow:
    kind: str
    value: str
    network: str
    subtype: str
    first_seen: date
    last_seen: date
    case_count: int


@dataclass(frozen=True)
class ExportHeader:
    number: int
    published_at: datetime  # UTC
    publisher: str
    key_id: str


def rows_for_export(rows: Iterable[ExportRow]) -> list[ExportRow]:
    """The rows that may be exported, in a stable order (kind, value): two exports of the same list are the
    same bytes apart from their header, so members can diff them."""
    kept = [
        row for row in rows if may_be_exported(kind=row.kind, value=row.value, network=row.network, subtype=row.subtype)
    ]
    return sorted(kept, key=lambda row: (row.kind, row.value))


def _row_values(row: ExportRow) -> list[object]:
    values = asdict(row)
    return [values[name].isoformat() if isinstance(values[name], date) else values[name] for name in EXPORT_FIELDS]


def render_csv(rows: Sequence[ExportRow]) -> bytes:
    """RFC 4180 CSV, UTF-8 with a BOM (as every CSV of Hotline), a header line, cells guarded against formula
    injection (a cell a spreadsheet would run gets a leading single quote: the JSON file has the exact value)."""
    lines = [safe_csv.format_row(EXPORT_FIELDS)]
    lines.extend(safe_csv.format_row(_row_values(row)) for row in rows)
    return (safe_csv.BOM + "".join(lines)).encode("utf-8")


def render_json(header: ExportHeader, rows: Sequence[ExportRow]) -> bytes:
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "export_number": header.number,
        "published_at": header.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publisher": header.publisher,
        "key_id": header.key_id,
        "fields": list(EXPORT_FIELDS),
        "indicators": [dict(zip(EXPORT_FIELDS, _row_values(row), strict=True)) for row in rows],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def file_name(number: int, extension: str) -> str:
    return f"coalition-indicators-{number:04d}.{extension}"
