"""Compile every app's translation catalogues (.po -> .mo) for `make install`.

With GNU gettext's msgfmt (Debian's `gettext`) this is Django's `compilemessages`. Without it,
polib (pure Python, pinned in the lock file) writes the same catalogues, so `make run` and
`make test` work on a machine where gettext cannot be installed; tests/test_setup.py proves the
two give the same translations.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def catalogues() -> list[Path]:
    return sorted((ROOT / "src").glob("hotline/*/locale/*/LC_MESSAGES/*.po"))


def compile_with_polib(paths: list[Path], *, force: bool = False) -> int:
    """Write the .mo beside each .po that is newer than it (as compilemessages does); returns how many."""
    import polib

    written = 0
    for po_path in paths:
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        # Fuzzy and obsolete entries are left out, as msgfmt does.
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written += 1
    return written


def main() -> int:
    if shutil.which("msgfmt"):
        return subprocess.call(
            [sys.executable, str(ROOT / "manage.py"), "compilemessages", "-v", "0", "--ignore=.venv/*"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    written = compile_with_polib(catalogues())
    if written:
        print(
            f"gettext's msgfmt is not installed (apt-get install gettext): compiled {written} catalogues with polib.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
