"""CSV that stays data: every export of Hotline writes its cells through here.

A cell a spreadsheet would read as a formula (OWASP "CSV Injection": it starts with =, +, -, @, a tab
or a carriage return; also a line feed or NUL, which some importers drop before reading the rest) gets
a leading single quote. A cell holding a comma, a semicolon (the list separator of Swedish and most
European Excel installations, which split on it: `Anna;=1+2` would become a formula cell), a quote,
a line break or surrounding spaces is quoted (RFC 4180), so it stays one cell in every locale.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
_QUOTE_IF = frozenset(',;"\r\n')
LINE_END = "\r\n"  # RFC 4180
BOM = "\ufeff"  # lets Excel open UTF-8 (å ä ö) correctly


def safe_cell(value: object) -> str:
    """The text of one cell, neutralised when a spreadsheet would run it (None is an empty cell)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _quoted(text: str) -> str:
    if text != text.strip(" ") or not _QUOTE_IF.isdisjoint(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def format_row(values: Iterable[object]) -> str:
    """One CSV line (with its line end) of safe, and where needed quoted, cells."""
    return ",".join(_quoted(safe_cell(v)) for v in values) + LINE_END
