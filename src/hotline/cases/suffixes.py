"""The Public Suffix List: registered domains, whether a name's top-level domain exists, the list's date.

The list is the copy shipped in the `publicsuffixlist` package (released with the list, about weekly);
it is read from disk once per process and never fetched. Rules and reasons: docs/url-rules.md.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from pathlib import Path

import publicsuffixlist

_VERSION_RE = re.compile(rb"^// VERSION: (\d{4})-(\d{2})-(\d{2})", re.MULTILINE)


@functools.cache
def _list() -> publicsuffixlist.PublicSuffixList:
    # accept_unknown: a name under a top-level domain the list does not know still has a registered
    # domain (the list's own default rule "*"), so reserved test names (example.test) group sensibly.
    return publicsuffixlist.PublicSuffixList(accept_unknown=True)


@functools.cache
def list_date() -> date | None:
    """The date the bundled list was published (its `// VERSION:` line), None if it carries none."""
    head = Path(publicsuffixlist.PSLFILE).read_bytes()[:4096]
    match = _VERSION_RE.search(head)
    if match is None:
        return None
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


@functools.lru_cache(maxsize=65_536)  # triage sees the same hosts again and again
def registered_domain_of_name(name: str) -> str:
    """The registrable domain of an ASCII (A-label) host name: its public suffix plus one label.

    Private suffixes count (user.github.io is somebody's own site). A name that is itself a public or
    private suffix (co.uk, github.io), a single label, and a name with an empty label have none ("").
    """
    if not name or "." not in name or name.startswith(".") or ".." in name:
        return ""
    return _list().privatesuffix(name.lower()) or ""


def has_known_top_level_domain(name: str) -> bool:
    """True when the last label of an ASCII host name is a top-level domain in the list (com, se, xn--p1ai)."""
    return _is_listed_top_level(name.rstrip(".").rpartition(".")[2].lower())


@functools.lru_cache(maxsize=4096)
def _is_listed_top_level(top: str) -> bool:
    return bool(top) and _list().publicsuffix(top, accept_unknown=False) is not None
