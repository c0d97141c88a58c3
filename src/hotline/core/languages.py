"""The languages Hotline speaks: which exist, which the public may choose, their direction, and which pages offer them.

Reporter pages (the public views of the reporter's apps, `REPORTER_APPS`, and the error pages) are shown in every
language of HOTLINE_PUBLIC_LANGUAGES. Every other page (staff pages, petitions and newsletter) is Swedish or
English only (`STAFF_LANGUAGES`): its strings are translated into those two alone, and showing them under an
Arabic `lang` would be wrong for people and for screen readers alike. A visitor who chose another language
sees those pages in English, the language their strings fall back to.

Which strings count as the reporter's (and must be complete in every public language, tests/test_translations.py)
is decided by `REPORTER_MODULES` here and by the rule on templates in scripts/messages.py; docs/translating.md
explains both to translators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

# Every language the software has catalogues for, in the order the language switch lists them.
# Names are in English here (staff pages translate them); the switch shows each in its own script.
LANGUAGES: list[tuple[str, Any]] = [
    ("sv", _("Swedish")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("prs", _("Dari")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("uk", _("Ukrainian")),
]
CODES: tuple[str, ...] = tuple(code for code, _name in LANGUAGES)
STAFF_LANGUAGES: tuple[str, ...] = ("sv", "en")

# Django's django.conf.locale.LANG_INFO lacks these three; settings.py adds them. Dari is written right to left.
EXTRA_LANG_INFO: dict[str, dict[str, Any]] = {
    "prs": {"bidi": True, "code": "prs", "name": "Dari", "name_local": "دری"},
    "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
    "ti": {"bidi": False, "code": "ti", "name": "Tigrinya", "name_local": "ትግርኛ"},
}
RIGHT_TO_LEFT: frozenset[str] = frozenset({"ar", "prs"})

# The tag pages carry in `lang` and Content-Language where it differs from the catalogue's code. `prs` is the
# correct ISO 639-3 tag for Dari, but screen readers and browsers know Dari as fa-AF (CLDR's name for it),
# and a tag they do not know is read with the wrong voice; fa-AF is equally valid BCP 47 for Dari.
HTML_LANG: dict[str, str] = {"prs": "fa-AF"}

# Apps whose public views are reporter pages, and the Python modules of each whose strings appear on them
# (templates are found by rule: scripts/messages.py). A new module with strings for these pages goes here.
REPORTER_APPS: tuple[str, ...] = ("core", "intake")
REPORTER_MODULES: dict[str, tuple[str, ...]] = {
    "core": ("errors.py", "text.py"),
    "intake": ("forms.py", "rules.py", "public_status.py", "views.py"),
}


@dataclass(frozen=True)
class LanguageOption:
    """One button of the language switch."""

    code: str
    name_local: str
    html_lang: str
    rtl: bool


def html_lang(code: str) -> str:
    return HTML_LANG.get(code, code)


def is_rtl(code: str) -> bool:
    return code in RIGHT_TO_LEFT


def options(codes: Iterable[str]) -> list[LanguageOption]:
    """The switch's buttons for `codes`, each named in its own language."""
    from django.utils.translation import get_language_info

    result = []
    for code in codes:
        name = str(get_language_info(code)["name_local"])
        result.append(LanguageOption(code, name[:1].upper() + name[1:], html_lang(code), is_rtl(code)))
    return result


def parse_public_languages(value: Any) -> tuple[str, ...]:
    """HOTLINE_PUBLIC_LANGUAGES: codes among CODES (text with commas, or a list), in the switch's order.

    Swedish must be among them: it is the default language, shown to everyone who has not chosen one."""
    from hotline.core.conf import _as_comma_list

    chosen = {code.lower() for code in _as_comma_list(value)}
    if not chosen or not chosen <= set(CODES) or "sv" not in chosen:
        raise ValueError("unknown language code, or Swedish missing")
    return tuple(code for code in CODES if code in chosen)


def is_reporter_view(view: Callable[..., Any]) -> bool:
    """A public view of one of REPORTER_APPS (its pages are offered in every public language)."""
    from hotline.core.authz import PUBLIC, declared_access

    access = declared_access(view)
    if access is None or PUBLIC not in access:
        return False
    parts = (getattr(view, "__module__", "") or "").split(".")
    return len(parts) > 1 and parts[0] == "hotline" and parts[1] in REPORTER_APPS
