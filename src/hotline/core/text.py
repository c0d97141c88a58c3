"""The one check every stored free text passes (length, NUL, valid Unicode), for every app's forms and services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


def text_problem(value: str, *, limit: int) -> str | None:
    """Why a free text cannot be stored (too long, NUL, broken Unicode), or None."""
    if len(value) > limit:
        return str(
            ngettext_lazy("Write at most %(max)d character here.", "Write at most %(max)d characters here.", limit)
            % {"max": limit}
        )
    if "\x00" in value:
        return str(_("The text contains a character that cannot be stored (NUL)."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return str(_("The text contains characters that are not valid Unicode."))
    return None
