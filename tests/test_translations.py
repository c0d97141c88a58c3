"""Every user-facing string has a Swedish translation: a missing or fuzzy one fails the suite.

For each app, the source is scanned afresh (makemessages on a copy), so a new string that was
never added to the catalogue fails here too, not only an empty msgstr.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from scripts import messages  # the rule that says which strings are the reporter's

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


# --- the other public languages: the reporter's strings, complete in each ------------------------------
REPORTER_APPS = [SRC / name for name in messages.languages.REPORTER_APPS]


def scan_public_catalogues(app: Path, tmp_path: Path) -> Path:
    """A copy of `app` whose public-only catalogues were refreshed from its source, as `make messages` does."""
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("tests", "migrations", "__pycache__", "*.mo"))
    messages.makemessages(copy, messages.PUBLIC_ONLY_LANGUAGES)
    for code in messages.PUBLIC_ONLY_LANGUAGES:
        messages.keep_reporter_strings(copy / "locale" / code / "LC_MESSAGES" / "django.po", copy)
    return copy


needs_gettext = pytest.mark.skipif(
    GETTEXT_MISSING,
    reason="GNU gettext is not installed (xgettext, msgattrib): sudo apt-get install --no-install-recommends "
    "gettext (make test installs it when run as root)",
)


@needs_gettext
@pytest.mark.parametrize("app", REPORTER_APPS, ids=lambda p: p.name)
def test_every_public_language_has_every_string_of_the_reporters_pages(app: Path, tmp_path: Path) -> None:
    """A fresh scan of the source, so a string added to a public template (or a reporter module) and never
    translated fails here in every language, not only an empty msgstr already in the catalogue."""
    copy = scan_public_catalogues(app, tmp_path)
    problems = {}
    for code in messages.PUBLIC_ONLY_LANGUAGES:
        missing = entries_needing_work(copy / "locale" / code / "LC_MESSAGES" / "django.po")
        if missing:
            problems[code] = missing
    assert not problems, (
        f"{app.name}: untranslated or fuzzy strings of the reporter's pages (run `make messages`, translate, "
        f"see docs/translating.md):\n" + "\n".join(f"[{code}]\n{text}" for code, text in problems.items())
    )


@needs_gettext
def test_a_new_string_on_a_public_page_fails_the_check_and_a_staff_one_does_not(tmp_path: Path) -> None:
    """The scope rule catches strings that do not exist yet: a new public template (as issue 13 will add)."""
    intake = SRC / "intake"
    scratch = tmp_path / "src"
    shutil.copytree(intake, scratch / "intake", ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo"))
    templates = scratch / "intake" / "templates" / "intake"
    (templates / "safety_help.html").write_text(
        '{% extends "base.html" %}{% load i18n %}{% block content %}'
        "{% translate 'You can talk to someone you trust.' %}{% endblock %}"
    )
    (templates / "triage_board.html").write_text(
        '{% extends "staff_base.html" %}{% load i18n %}{% block content %}'
        "{% translate 'Cases waiting for a second look' %}{% endblock %}"
    )
    copy = scan_public_catalogues(scratch / "intake", tmp_path / "scan")
    for code in messages.PUBLIC_ONLY_LANGUAGES:
        missing = entries_needing_work(copy / "locale" / code / "LC_MESSAGES" / "django.po")
        assert "You can talk to someone you trust." in missing, code
        assert "Cases waiting for a second look" not in missing, code


def test_which_sources_are_the_reporters() -> None:
    core, intake = SRC / "core", SRC / "intake"
    assert messages.is_reporter_source(core, "templates/base.html")
    assert messages.is_reporter_source(core, "templates/404.html")
    assert messages.is_reporter_source(core, "templates/core/refused.html")  # public or staff: both
    assert not messages.is_reporter_source(core, "templates/staff_base.html")
    assert messages.is_reporter_source(intake, "templates/intake/report_form.html")
    assert messages.is_reporter_source(intake, "forms.py")
    assert not messages.is_reporter_source(intake, "templates/intake/staff_report_form.html")
    assert not messages.is_reporter_source(intake, "api.py")  # partners: Swedish and English
    assert not messages.is_reporter_source(SRC / "campaigns", "templates/campaigns/petition.html")


def test_public_catalogues_say_their_language_plural_rule_and_review_status() -> None:
    import polib

    for app in REPORTER_APPS:
        for code in messages.PUBLIC_ONLY_LANGUAGES:
            po = polib.pofile(str(app / "locale" / code / "LC_MESSAGES" / "django.po"))
            assert po.metadata["Language"] == code
            assert po.metadata["Plural-Forms"] == messages.PLURAL_FORMS[code]
            assert not po.metadata_is_fuzzy  # msgfmt would drop the header, and with it the plural rule
            assert po.metadata[messages.REVIEW_HEADER], f"{app.name}/{code} does not say who reviewed it"


def test_translating_md_says_which_catalogues_a_native_speaker_reviewed() -> None:
    """docs/translating.md's table and each catalogue's X-Hotline-Review header tell the same story."""
    import polib

    doc = (SRC.parent.parent / "docs" / "translating.md").read_text(encoding="utf-8")
    for code in messages.PUBLIC_ONLY_LANGUAGES:
        statuses = {
            polib.pofile(str(app / "locale" / code / "LC_MESSAGES" / "django.po")).metadata[messages.REVIEW_HEADER]
            for app in REPORTER_APPS
        }
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{code}` ")), "")
        assert row, f"docs/translating.md has no row for {code}"
        reviewed = statuses != {messages.DRAFT}
        assert ("not reviewed" in row) != reviewed, f"{code}: the docs and the catalogue headers disagree"


# --- the pages themselves: every string they show comes from the page's own language -------------------
class FallbackRecorder:
    """Stands in for the Swedish fallback of a translation: every message it is asked for was missing."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def gettext(self, message: str) -> str:
        if message:
            self.asked.append(message)
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.asked.append(singular)
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:  # pragma: no cover - Django uses gettext
        self.asked.append(message)
        return message

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:  # pragma: no cover
        self.asked.append(singular)
        return singular if n == 1 else plural


def render_every_reporter_page(client: Any) -> list[str]:
    """GET and POST the reporter's pages in their states; returns the HTML of each."""
    from django.core.cache import cache
    from django.test import Client, RequestFactory
    from django.utils import translation

    from hotline.core import views as core_views
    from hotline.core.errors import DomainError, refusal_response
    from hotline.intake.public_status import EXPLANATIONS, PublicStatus

    cache.clear()
    pages = []

    def keep(response: Any, *statuses: int) -> None:
        assert response.status_code in statuses, (response.status_code, response.content[:300])
        pages.append(response.content.decode())

    for path in ("/", "/report/", "/report/status/", "/report/bookmark/", "/privacy/", "/no-such-page/"):
        keep(client.get(path), 200, 404)
    report = {"kind": "online_material", "nexus_victim": "unknown", "nexus_offender": "unknown",
              "nexus_place": "unknown", "reporter_classification": "", "url_fields": "3"}  # fmt: skip
    keep(client.post("/report/", {**report, "url_1": "not an address"}), 400)
    keep(client.post("/report/", {**report, "url_1": "http://192.168.1.1/", "url_2": "ftp://x.example/"}), 400)
    keep(client.post("/report/", {**report, "url_1": "https://intranet.lan/"}), 400)
    keep(client.post("/report/", {**report, "description": "x" * 10_001}), 400)  # longer than allowed
    keep(client.post("/report/", {**report, "url_1": "", "nexus_victim": "maybe"}), 400)
    keep(client.post("/report/", {**report, "url_1": "https://one.example.test/", "action": "add_url"}), 200)
    thanks = client.post(
        "/report/", {**report, "url_1": "https://pages.example.test/1", "description": "Sett."}, follow=True
    )
    keep(thanks, 200)
    receipt = re.search(r'id="receipt"[^>]*>([\d ]+)<', thanks.content.decode()).group(1)  # type: ignore[union-attr]
    keep(client.get(thanks.redirect_chain[0][0]), 410)  # the one-time thank-you address, shown again
    keep(client.get("/report/thanks/x.y/"), 404)
    for kind in ("sextortion", "trafficking"):  # the thank-you page fits the kind of report
        keep(client.post("/report/", {**report, "kind": kind, "description": "Sett."}, follow=True), 200)
    keep(client.post("/report/status/", {"receipt": receipt}), 200)
    keep(client.post("/report/status/", {"receipt": receipt, "message": "Det finns på en ny adress."}), 200)
    keep(client.post("/report/status/", {"receipt": receipt, "message": " "}), 200, 400)
    keep(client.post("/report/status/", {"receipt": ""}), 400)
    keep(client.post("/report/status/", {"receipt": "1234 5678 9012 3456"}), 404)
    keep(client.post("/share/", {"text": "Look https://shared.example.test/p"}), 200)
    strict = Client(enforce_csrf_checks=True)  # a form posted without its cookie: the CSRF refusal page
    strict.cookies["hotline_language"] = client.cookies["hotline_language"].value
    keep(strict.post("/report/", report), 403)
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
    for view in (core_views.bad_request, core_views.permission_denied, core_views.server_error):
        pages.append(view(request).content.decode())  # type: ignore[operator]
    pages.append(refusal_response(request, DomainError()).content.decode())
    pages.append(client.get("/manifest.webmanifest").content.decode())
    # The rate-limit pages and every public status, without waiting for them to happen.
    from django.template.loader import render_to_string

    for what in ("receipt", "submit"):
        pages.append(render_to_string("intake/too_many.html", {"minutes": 3, "what": what}, request=request))
    for status in PublicStatus:
        pages.append(f"{status.label} {EXPLANATIONS[status]}")
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("language", messages.PUBLIC_ONLY_LANGUAGES)
def test_reporter_pages_show_no_string_from_another_language(language: str, client: Any, monkeypatch: Any) -> None:
    """Rendered, not scanned: a string the catalogue lacks (Django's own messages included, which Django
    has no Dari, Somali or Tigrinya for) would show in Swedish, the fallback. The fallback records them."""
    from django.utils.translation import trans_real

    client.cookies["hotline_language"] = language
    client.get("/")  # loads the language's catalogue
    recorder = FallbackRecorder()
    monkeypatch.setattr(trans_real.translation(language), "_fallback", recorder)
    pages = render_every_reporter_page(client)
    assert all(f'lang="{messages.languages.html_lang(language)}"' in page for page in pages if "<html" in page)
    # Django's forms look up their label suffix (":") on creation; the templates never show it.
    shown = sorted(set(recorder.asked) - {":"})
    assert not shown, f"{language}: these strings would show in Swedish, the fallback: {shown}"
