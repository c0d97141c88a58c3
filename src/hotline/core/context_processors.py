"""Template context every page gets."""

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from hotline.core import conf, languages, registry


@cache
def _switch(codes: tuple[str, ...]) -> list[languages.LanguageOption]:
    return languages.options(codes)


def hotline(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = sorted(user.role_names) if user is not None and user.is_authenticated else []
    current = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "HOTLINE_ORGANISATION": settings.HOTLINE_ORGANISATION,
        "staff_roles": roles,
        # The staff bar (staff_base.html) and the staff home page show the same registered links.
        "staff_links": registry.staff_links_for(roles) if roles else [],
        # The language switch offers what this page can be shown in (hotline.core.middleware.LanguageMiddleware).
        "page_languages": _switch(tuple(getattr(request, "hotline_page_languages", conf.public_languages()))),
        "html_lang": languages.html_lang(current),
        "page_rtl": languages.is_rtl(current),
        "quick_exit_url": conf.quick_exit_url(),
        "safety": conf.safety_help(),
        "inhope_member": conf.inhope_member(),
    }
