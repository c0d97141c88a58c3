"""`make messages`: refresh every app's catalogues from the source, then compile them.

Swedish and English catalogues hold every string of every app. The other public languages (Arabic, Dari,
Somali, Tigrinya, Ukrainian: hotline.core.languages) exist only for the reporter's apps and hold only the
reporter's strings, the ones on the pages a member of the public meets; staff pages are never shown in them.
A string is the reporter's when one of its places in the source (the `#:` lines) is
- a template of a reporter app that is not a staff template (a file named staff*, or one that extends
  "staff_base.html"), or
- a Python module listed for the app in hotline.core.languages.REPORTER_MODULES.
So a new public template is covered the day it is written; a new Python module with public strings is
added to that list. tests/test_translations.py applies the same rule to a fresh scan of the source.

Usage: python scripts/messages.py   (from the repository root; needs GNU gettext)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "hotline"
sys.path.insert(0, str(ROOT / "src"))

from hotline.core import languages  # noqa: E402  # the one list of languages and reporter modules

ALL_STRINGS_LANGUAGES = ("sv", "en")
PUBLIC_ONLY_LANGUAGES = tuple(code for code in languages.CODES if code not in ALL_STRINGS_LANGUAGES)

# gettext plural rules (CLDR's categories; Ukrainian with three forms, as most Ukrainian catalogues).
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "prs": "nplurals=2; plural=(n > 1);",
    "so": "nplurals=2; plural=(n != 1);",
    "ti": "nplurals=2; plural=(n > 1);",
    "uk": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
}
NAMES = {"ar": "Arabic", "prs": "Dari", "so": "Somali", "ti": "Tigrinya", "uk": "Ukrainian"}
REVIEW_HEADER = "X-Hotline-Review"
DRAFT = "machine-assisted draft, not reviewed by a native speaker"
_STAFF_EXTENDS = re.compile(r"""\{%\s*extends\s+["']staff_base\.html["']\s*%\}""")


def apps() -> list[Path]:
    return sorted(p.parent for p in SRC.glob("*/apps.py"))


def is_staff_template(path: Path) -> bool:
    return path.name.startswith("staff") or bool(_STAFF_EXTENDS.search(path.read_text(encoding="utf-8")))


def is_reporter_source(app: Path, reference: str) -> bool:
    """`reference` is a place in a catalogue (a path relative to the app, as makemessages writes it)."""
    if app.name not in languages.REPORTER_APPS:
        return False
    path = app / reference
    if reference.startswith("templates/") and path.suffix == ".html":
        return path.exists() and not is_staff_template(path)
    return reference in languages.REPORTER_MODULES.get(app.name, ())


def keep_reporter_strings(po_path: Path, app: Path) -> None:
    """Drop the entries no reporter page shows from a public-only catalogue, and fill in its header."""
    import polib

    po = polib.pofile(str(po_path), wrapwidth=79)
    language = po_path.parent.parent.name
    for entry in list(po):
        if not any(is_reporter_source(app, reference) for reference, _line in entry.occurrences):
            po.remove(entry)
    po.metadata["Language"] = language
    po.metadata["Plural-Forms"] = PLURAL_FORMS[language]
    po.metadata.setdefault(REVIEW_HEADER, DRAFT)
    po.metadata_is_fuzzy = False  # msgfmt would drop a fuzzy header, and Arabic would lose its plural rule
    if po.metadata.get(REVIEW_HEADER) == DRAFT:
        po.header = (
            f"{NAMES[language]} catalogue of Hotline's public pages ({app.name}).\n"
            "MACHINE-ASSISTED DRAFT: not yet reviewed by a native speaker (docs/translating.md)."
        )
    po.save()


def makemessages(app: Path, locales: tuple[str, ...]) -> None:
    (app / "locale").mkdir(exist_ok=True)
    args = [sys.executable, str(ROOT / "manage.py"), "makemessages", "--no-obsolete", "--ignore=tests/*", "-v", "0"]
    subprocess.run([*args, *(f"-l{code}" for code in locales)], cwd=app, check=True)


def refresh(app: Path) -> None:
    makemessages(app, ALL_STRINGS_LANGUAGES)
    if app.name in languages.REPORTER_APPS:
        makemessages(app, PUBLIC_ONLY_LANGUAGES)
        for code in PUBLIC_ONLY_LANGUAGES:
            keep_reporter_strings(app / "locale" / code / "LC_MESSAGES" / "django.po", app)


def main() -> int:
    for app in apps():
        refresh(app)
    return subprocess.call(
        [sys.executable, str(ROOT / "manage.py"), "compilemessages", "-v", "0", "--ignore=.venv/*"], cwd=ROOT
    )


if __name__ == "__main__":
    sys.exit(main())
