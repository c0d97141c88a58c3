"""Where a signer lives: Sweden's 290 municipalities and, for signers abroad, the world's countries.

Both lists are shipped as data files (data/municipalities.csv, data/countries.csv) and read once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils import translation

DATA_DIR = Path(__file__).resolve().parent / "data"
ABROAD = "abroad"


@dataclass(frozen=True)
class Municipality:
    code: str  # SCB's four-digit kommunkod, e.g. "0180"
    name: str
    county_code: str
    county: str


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name_en: str
    name_sv: str

    def name(self, language: str | None = None) -> str:
        language = language or translation.get_language() or "sv"
        return self.name_en if language.startswith("en") else self.name_sv


def _rows(filename: str) -> list[dict[str, str]]:
    with open(DATA_DIR / filename, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@lru_cache(maxsize=1)
def municipalities() -> dict[str, Municipality]:
    rows = _rows("municipalities.csv")
    return {
        r["code"]: Municipality(code=r["code"], name=r["name"], county_code=r["county_code"], county=r["county"])
        for r in rows
    }


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    return {
        r["code"]: Country(code=r["code"], name_en=r["name_en"], name_sv=r["name_sv"]) for r in _rows("countries.csv")
    }


def municipality_choices() -> list[tuple[str, str]]:
    """Sorted by name the Swedish way (å ä ö last)."""
    return sorted(((m.code, m.name) for m in municipalities().values()), key=lambda c: swedish_sort_key(c[1]))


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    return sorted(((c.code, c.name(language)) for c in countries().values()), key=lambda c: swedish_sort_key(c[1]))


_SWEDISH_ORDER = {"å": "{", "ä": "|", "ö": "}", "é": "e", "ü": "y"}


def swedish_sort_key(text: str) -> str:
    # Unicode order puts å ä ö in the wrong place for a Swedish reader; ASCII { | } sort after z.
    return "".join(_SWEDISH_ORDER.get(ch, ch) for ch in text.lower())


def place_label(*, municipality: str, country: str, language: str | None = None) -> str:
    """What a signature shows for where the signer lives: a municipality, or a country abroad."""
    if municipality:
        found = municipalities().get(municipality)
        return found.name if found else municipality
    if country:
        c = countries().get(country)
        return c.name(language) if c else country
    return ""
