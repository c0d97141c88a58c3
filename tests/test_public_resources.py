"""Public pages load nothing from other hosts (fonts, scripts, styles, images, frames), run no inline script,
and carry "Leave this page": every public page is fetched and every resource it names is checked, as is
every stylesheet and script it loads and the Content-Security-Policy that would stop anything else."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from hotline.core.authz import PUBLIC, declared_access
from tests.test_access import ROUTES, sample_path

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
# Attributes that make the browser fetch something by itself; <a href> and <form action> only navigate.
LOADING = {
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("iframe", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("track", "src"),
    ("input", "src"),
}


class Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str, str]] = []
        self.links: list[str] = []
        self.forms: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for name, value in values.items():
            if (tag, name) in LOADING and value:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                self.loads.extend((tag, name, url) for url in urls)
            if name == "style" or name.startswith("on"):
                self.inline_styles += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag == "form":
            self.forms.append(values.get("action", ""))
        if tag == "style":
            self.inline_styles += 1
        self._in_script = tag == "script" and not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def public_pages() -> list[str]:
    paths = {
        sample_path(route)
        for route, callback in ROUTES
        if PUBLIC in (declared_access(callback) or ()) and sample_path(route) and "<" not in route
    }
    return sorted(p for p in paths if p and not p.startswith("/api/v1") and p != "/healthz")


PAGES = public_pages()


def same_host(url: str) -> bool:
    parts = urlsplit(urljoin(BASE + "/", url))
    return parts.scheme == "data" or (parts.scheme, parts.netloc) == ("http", "testserver")


def test_the_walk_finds_the_reporters_pages() -> None:
    assert {"/", "/report/", "/report/status/", "/report/bookmark/", "/privacy/", "/share/", "/petitions/"} <= set(
        PAGES
    )


@pytest.mark.parametrize("language", ["sv", "ar"])
@pytest.mark.parametrize("path", PAGES)
def test_public_pages_load_nothing_from_other_hosts(path: str, language: str, settings: Any) -> None:
    settings.HOTLINE_QUICK_EXIT_URL = "https://weather.example/"
    settings.HOTLINE_CHILD_HELPLINE_URL = "https://helpline.example/"
    client = Client()
    client.cookies["hotline_language"] = language
    response = client.get(path, follow=True)
    if not response["Content-Type"].startswith("text/html"):
        return  # the manifest and the OpenAPI document: checked below
    parser = Resources()
    parser.feed(response.content.decode())
    foreign = [load for load in parser.loads if not same_host(load[2])]
    assert not foreign, f"{path} loads from other hosts: {foreign}"
    assert parser.inline_scripts == 0 and parser.inline_styles == 0, f"{path}: inline script or style"
    assert all(same_host(action or path) for action in parser.forms), parser.forms
    # The only links that lead elsewhere: "Leave this page", the children's helpline of the safety help, an
    # email address, links a page shows on purpose (none of them is loaded by the browser).
    # The bookmarklet (a bookmark's text to copy, never run here: the CSP forbids javascript: URLs).
    bookmarklet = f'javascript:(function(){{window.open("{BASE}/report/#url="'
    elsewhere = [link for link in parser.links if not same_host(link) and not link.startswith(("mailto:", bookmarklet))]
    assert set(elsewhere) <= {"https://weather.example/", "https://helpline.example/"}, elsewhere
    for tag, _attribute, url in parser.loads:
        if tag in {"link", "script"} and not url.startswith("data:") and url != "/manifest.webmanifest":
            assert_static_file_is_self_contained(url)


def assert_static_file_is_self_contained(url: str) -> None:
    path = urlsplit(url).path
    assert path.startswith("/static/"), url
    found = finders.find(path.removeprefix("/static/"))
    assert found, f"{url} is not a static file of the site"
    text = Path(found).read_text(encoding="utf-8")  # type: ignore[arg-type]
    if path.endswith(".css"):
        assert "@import" not in text and "@font-face" not in text, f"{path} loads fonts or other stylesheets"
        for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", text):
            assert same_host(target), f"{path} loads {target}"
    if path.endswith(".js"):
        assert not re.search(r"https?://", text), f"{path} names another host"
        for api in ("localStorage", "sessionStorage", "indexedDB", "caches.", "serviceWorker", "document.cookie"):
            assert api not in text, f"{path} uses {api}: the public pages keep nothing in the browser"


def test_the_manifest_names_only_this_site() -> None:
    manifest = Client().get("/manifest.webmanifest").json()
    urls = [manifest["start_url"], manifest["scope"], manifest["share_target"]["action"]]
    urls += [icon["src"] for icon in manifest["icons"]]
    assert all(same_host(url) for url in urls), urls


def test_the_content_security_policy_allows_this_site_only() -> None:
    csp = Client().get("/report/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    for name, sources in directives.items():
        for source in sources.split():
            assert source in {"'self'", "'none'", "data:"}, f"{name} allows {source}"
    assert directives["script-src"] == "'self'" and directives["font-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
