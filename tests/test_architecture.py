"""The shape of the code that the import contracts (`make lint`) do not see: file sizes, and no module found by a
string. The layers themselves are pyproject.toml's [tool.importlinter] contract."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "hotline"
MAX_LINES = 600
# import_module("hotline...."), import_string(f"hotline.{...}"), or a helper taking such a string. A migration's
# module name starts with a digit, so a test may only reach it that way.
STRING_IMPORT = re.compile(
    r"""\b(import_module|import_string|optional_function)\(\s*f?["']hotline\.(?!\w+\.migrations\.)"""
)
COMPOSITION_ROOT = {"settings.py", "urls.py"}  # they name every app, by design


def sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.relative_to(SRC).parts)


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_source_file_is_over_600_lines() -> None:
    too_long = {str(p.relative_to(SRC)): lines(p) for p in sources() if lines(p) > MAX_LINES}
    assert not too_long, f"split these by what they hold (at most {MAX_LINES} lines each): {too_long}"


def test_no_module_of_hotline_is_imported_by_a_string() -> None:
    found = [
        f"{p.relative_to(SRC)}:{n}: {line.strip()}"
        for p in sources()
        if str(p.relative_to(SRC)) not in COMPOSITION_ROOT
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if STRING_IMPORT.search(line)
    ]
    assert not found, "import it (an app below), or declare a hook (an app above): " + "; ".join(found)


def test_the_string_check_would_see_one() -> None:
    assert STRING_IMPORT.search('x = importlib.import_module("hotline.tracing.services")')
    assert STRING_IMPORT.search("optional_function(f'hotline.{app}.demo', 'load')")
    assert not STRING_IMPORT.search('logging.getLogger("hotline.cases")')
    assert not STRING_IMPORT.search('import_module("hotline.staff.migrations.0005_hash_recovery_codes")')
