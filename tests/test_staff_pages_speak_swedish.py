"""Staff pages show words, never codes: every staff page, rendered in Swedish with the demo data for each demo role,
shows no raw choice value (`child_sexual_posing`, `image_host`, `pubescent`, `planned`), audit action (`case.viewed`),
JSON or setting name in its visible text. (Values inside attributes, such as a form option's value, are not shown.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from tests.test_staff_get_changes_nothing import (
    PARAMETER_MODELS,
    _first_id,
    concrete_path,
    demo_clients,
    load_demo_data,
    staff_routes,
)

pytestmark = pytest.mark.django_db

SKIPPED_TAGS = {"script", "style", "textarea"}
# Words that are choice values in English and ordinary Swedish words too ("sent" is Swedish for "late").
SWEDISH_WORDS = {"partner", "sent", "text", "video", "forum", "chat", "blogg", "webb", "sms", "api", "nej", "ja"}


class VisibleText(HTMLParser):
    """The text a person sees: not attributes, scripts, field contents, nor what is marked translate="no" (URLs,
    hosts, names: data, not words of the page), nor text declared English (lang="en": a document only written in
    English, such as the statistics definitions, is English words, not codes on a Swedish page)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # whether each open element hides its text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}:
            return
        hidden = tag in SKIPPED_TAGS or ("translate", "no") in attrs or ("lang", "en") in attrs
        self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"br", "img", "input", "meta", "link", "hr", "wbr", "source"} and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def choice_codes() -> set[str]:
    """Every value of every choice field of every model, where the value is not itself the word shown."""
    codes: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            choices = getattr(field, "choices", None)
            if not isinstance(field, models.Field) or not choices:
                continue
            for value, label in field.flatchoices:
                if isinstance(value, str) and value and value != str(label) and re.fullmatch(r"[a-z][a-z0-9_]+", value):
                    codes.add(value)
    from hotline.intake.forms import CLASSIFICATION_CHOICES  # what the public form stores on a report

    codes |= {value for value, _label in CLASSIFICATION_CHOICES if value}
    return codes - SWEDISH_WORDS


AUDIT_ACTION = re.compile(
    r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)+\b|\b(?:case|staff|referral|petition|audit)\.[a-z_]+\b"
)
SETTING = re.compile(r"\bHOTLINE_[A-Z_]+\b")
JSON = re.compile(r'\{\s*"[^"]+"\s*:')


def problems_in(text: str, codes: set[str]) -> list[str]:
    text = re.sub(r"\S+@\S+", " ", text)  # staff members' addresses are names, not words of the page
    text = re.sub(r"\b[a-z_]+\.\*", " ", text)  # the audit filter's example of its own syntax ("staff.*")
    found = [f"code {word!r}" for word in sorted(set(re.findall(r"\b[a-z][a-z0-9_]+\b", text)) & codes)]
    found += [f"audit action {m!r}" for m in sorted(set(AUDIT_ACTION.findall(text)))]
    found += [f"setting {m!r}" for m in sorted(set(SETTING.findall(text)))]
    found += ["JSON"] if JSON.search(text) else []
    return found


def test_the_reader_sees_only_visible_words() -> None:
    html = (
        '<p>Bild <span translate="no">img_host.example</span>'
        '<select><option value="image_host">Bildvärd</option></select> case.viewed</p>'
    )
    assert problems_in(visible_text(html), {"image_host"}) == ["audit action 'case.viewed'"]
    assert problems_in(visible_text("<td>pubescent</td>"), {"pubescent"}) == ["code 'pubescent'"]
    assert problems_in(visible_text('<div lang="en"><p>shared by the web form</p></div>'), {"web"}) == []


def test_every_staff_page_in_swedish_shows_words_not_codes(settings: Any) -> None:
    settings.LANGUAGE_CODE = "sv"
    load_demo_data()
    codes = choice_codes()
    assert {"image_host", "pubescent", "planned", "child_sexual_posing"} & codes, "no choices found"
    ids = {name: _first_id(label) for name, label in PARAMETER_MODELS.items()}
    found: list[str] = []
    pages = 0
    for email, client in demo_clients():
        client.cookies["hotline_language"] = "sv"
        for route in staff_routes():
            path = concrete_path(route, ids)
            response = client.get(path)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            for problem in problems_in(visible_text(response.content.decode()), codes):
                found.append(f"{path} ({email}): {problem}")
    assert pages > 20
    assert found == [], "\n".join(sorted(set(found)))


def test_every_audit_action_written_anywhere_reads_as_its_own_sentence() -> None:
    from pathlib import Path

    from hotline.staff.audit_words import SENTENCES

    source = Path(__file__).resolve().parents[1] / "src" / "hotline"
    written = set()
    for path in source.rglob("*.py"):
        if "tests" not in path.parts:
            written |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert len(written) > 50
    assert sorted(written - set(SENTENCES)) == []
