"""Every scrolling table wrapper on a staff page (`div.table-scroll`, focusable with tabindex="0" so that a
keyboard can scroll it) is a named region: role="region" and an accessible name, either aria-label or
aria-labelledby pointing at an element of the page that has text (WCAG 4.1.2; axe's scrollable-region rules)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.test_staff_get_changes_nothing import (
    PARAMETER_MODELS,
    _first_id,
    concrete_path,
    demo_clients,
    load_demo_data,
    staff_routes,
)

SOURCE = Path(__file__).resolve().parents[1] / "src" / "hotline"
VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col"}


class Regions(HTMLParser):
    """The attributes of every div.table-scroll, and the text of every element with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.wrappers: list[dict[str, str]] = []
        self.text: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "div" and "table-scroll" in values.get("class", "").split():
            self.wrappers.append(values)
        if tag in VOID:
            return
        self._open.append(values.get("id"))
        if values.get("id"):
            self.text.setdefault(values["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for open_id in self._open:
            if open_id:
                self.text[open_id] += data


def unnamed_regions(html: str) -> list[str]:
    """What is wrong with each table-scroll wrapper of a page ([] when each is a named region)."""
    page = Regions()
    page.feed(html)
    problems = []
    for wrapper in page.wrappers:
        if wrapper.get("role") != "region":
            problems.append(f"no role=region: {wrapper}")
        label = wrapper.get("aria-label", "").strip()
        refs = wrapper.get("aria-labelledby", "").split()
        named_by = " ".join(page.text.get(ref, "") for ref in refs).strip()
        if not label and not named_by:
            problems.append(f"no accessible name: {wrapper}")
    return problems


def test_the_check_finds_an_unnamed_region_and_a_dangling_reference() -> None:
    assert unnamed_regions('<h2 id="t">Tips</h2><div class="table-scroll" role="region" aria-labelledby="t">') == []
    assert unnamed_regions('<div class="table-scroll" role="region" aria-label="Tips"></div>') == []
    assert len(unnamed_regions('<div class="table-scroll" tabindex="0"><table></table></div>')) == 2
    assert unnamed_regions('<div class="table-scroll" role="region" aria-labelledby="gone"></div>') == [
        "no accessible name: {'class': 'table-scroll', 'role': 'region', 'aria-labelledby': 'gone'}"
    ]


def test_every_table_scroll_in_the_templates_is_a_named_region() -> None:
    """Also the tables the demo data does not fill (most are shown only when they have rows)."""
    found = []
    for path in sorted(SOURCE.rglob("*.html")):
        for tag in re.findall(r"<div[^>]*\btable-scroll\b[^>]*>", path.read_text()):
            if 'role="region"' not in tag or not re.search(r'aria-label(ledby)?="[^"]+"', tag):
                found.append(f"{path.relative_to(SOURCE)}: {tag}")
    assert found == [], "\n".join(found)


@pytest.mark.django_db
def test_every_staff_page_with_the_demo_data_names_its_scrolling_tables(settings: object) -> None:
    load_demo_data()
    ids = {name: _first_id(label) for name, label in PARAMETER_MODELS.items()}
    rendered: set[str] = set()
    with_tables: set[str] = set()
    found: list[str] = []
    for email, client in demo_clients():
        client.cookies["hotline_language"] = "sv"
        for route in staff_routes():
            path = concrete_path(route, ids)
            if path in rendered:
                continue
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            rendered.add(path)
            html = response.content.decode()
            if "table-scroll" in html:
                with_tables.add(path)
            found += [f"{path} ({email}): {problem}" for problem in unnamed_regions(html)]
    assert found == [], "\n".join(found)
    # The walk reached tables of each app the wrappers were missing in.
    for prefix in ("/referrals/", "/staff/", "/campaigns/"):
        assert any(path.startswith(prefix) for path in with_tables), (prefix, sorted(with_tables))
