"""Every user-facing string has a Swedish translation: a missing or fuzzy one fails the suite.

For each app, the source is scanned afresh (makemessages on a copy), so a new string that was
never added to the catalogue fails here too, not only an empty msgstr.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

SRC = Path(__file__).resolve().parent.parent / "src" / "hotline"
APPS = sorted(p.parent for p in SRC.glob("*/apps.py"))
GETTEXT_MARKERS = ("gettext", "{% translate", "{% trans ", "{% blocktranslate", "{% blocktrans ", "_lazy(")


def uses_gettext(app: Path) -> bool:
    for path in app.rglob("*"):
        if "tests" in path.parts or "migrations" in path.parts or path.suffix not in {".py", ".html", ".txt"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if any(marker in text for marker in GETTEXT_MARKERS):
            return True
    return False


def entries_needing_work(po: Path) -> str:
    out = []
    for flag in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(
            ["msgattrib", flag, "--no-obsolete", str(po)], capture_output=True, text=True, check=True
        )
        out.append(result.stdout)
    # msgattrib prints the header entry for any non-empty result; keep only real msgids.
    return "\n".join(
        line for text in out for line in text.splitlines() if line.startswith("msgid ") and line != 'msgid ""'
    )


# CI always has them: scripts/setup-system.sh ci fails without gettext.
GETTEXT_MISSING = not (shutil.which("xgettext") and shutil.which("msgattrib"))


@pytest.mark.skipif(
    GETTEXT_MISSING,
    reason="GNU gettext is not installed (xgettext, msgattrib): sudo apt-get install --no-install-recommends "
    "gettext (make test installs it when run as root)",
)
@pytest.mark.parametrize("app", [a for a in APPS if uses_gettext(a)], ids=lambda p: p.name)
def test_swedish_catalogue_is_complete(app: Path, tmp_path: Path, monkeypatch: Any) -> None:
    po = app / "locale" / "sv" / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"{app.name} has user-facing strings but no Swedish catalogue (run `make messages`)"
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("tests", "migrations", "__pycache__", "*.mo"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["sv"], ignore_patterns=["tests/*"], no_obsolete=True, verbosity=0)
    missing = entries_needing_work(copy / "locale" / "sv" / "LC_MESSAGES" / "django.po")
    assert not missing, (
        f"{app.name}: untranslated or fuzzy Swedish strings (run `make messages` and translate):\n{missing}"
    )
