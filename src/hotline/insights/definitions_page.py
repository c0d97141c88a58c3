"""The definitions of every figure (docs/statistics.md) as HTML for the staff and public definitions pages: made
once per process, each section keeping its anchor ({#reports} -> id="reports")."""

from __future__ import annotations

import functools
from pathlib import Path

import markdown
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

SOURCE = Path(settings.REPO_DIR) / "docs" / "statistics.md"

# What docs/statistics.md may use once rendered; anything else (raw HTML in the file) is stripped.
TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "a", "em", "strong", "code", "pre", "blockquote", "br", "hr"}
TAGS |= {"table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {
    **{tag: {"id"} for tag in ("h1", "h2", "h3", "h4")},
    "a": {"href"},
    "code": {"translate"},
    "th": {"scope"},
}


@functools.cache
def definitions_html(source: Path = SOURCE) -> SafeString:
    """docs/statistics.md in HTML (headings one level down: the page's own title is its h1). Empty if the file
    is not there (an installation without the docs still shows the page, with a link to the project's docs)."""
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        return mark_safe("")  # nosec B308, B703  # an empty string
    html = markdown.markdown(text, extensions=["attr_list", "tables", "sane_lists"], output_format="html")
    for level in (3, 2, 1):  # the file's title becomes an h2 under the page's h1
        html = html.replace(f"<h{level}", f"<h{level + 1}").replace(f"</h{level}>", f"</h{level + 1}>")
    # Names in code spans are names (settings, tables), not words to translate.
    html = html.replace("<code>", '<code translate="no">')
    cleaned = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"https", "http"}, link_rel=None)
    return mark_safe(cleaned)  # nosec B308, B703  # our own docs file, cleaned by nh3 to an allow-list
