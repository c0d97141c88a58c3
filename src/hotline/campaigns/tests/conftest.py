"""Fixtures for the campaigns tests: a petition (hotline.campaigns.factories), reading links out of real mails."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from django.core.cache import cache

from hotline.campaigns.factories import make_petition
from hotline.campaigns.models import Petition

LINK = re.compile(r"https?://[^\s>]+")


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> Any:
    # Rate-limit counters live in the cache; each test starts with none.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def petition(db: Any) -> Petition:
    return make_petition()


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    """The text/plain part of a mail, decoded."""
    if message.is_multipart():
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        raise AssertionError("no text/plain part")
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/html part")


def links_in(message: Message) -> list[str]:
    return LINK.findall(body_of(message))


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def sign_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Anna Andersson",
        "email": "anna@example.test",
        "municipality": "0180",
        "country": "",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
