"""`{% form_token %}`: the hidden field of a public form guarded by hotline.core.formguard (no cookie needed)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from hotline.core import formguard

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context: dict[str, Any]) -> SafeString:
    request = context.get("request")
    if request is None:  # a page rendered without its request (the 503 page) has no form to guard
        return SafeString("")
    return formguard.token_field(request)
