"""The shipped data files: Sweden's 290 municipalities and the countries for signers abroad."""

from __future__ import annotations

from hotline.campaigns import places


def test_all_290_municipalities_in_21_counties() -> None:
    municipalities = places.municipalities()
    assert len(municipalities) == 290
    assert len({m.name for m in municipalities.values()}) == 290
    assert len({m.county_code for m in municipalities.values()}) == 21
    for code, m in municipalities.items():
        assert len(code) == 4 and code.isdigit() and code.startswith(m.county_code)
    assert municipalities["0180"].name == "Stockholm"
    assert municipalities["1480"].name == "Göteborg"
    assert municipalities["1280"].name == "Malmö"
    assert municipalities["2584"].name == "Kiruna"
    assert municipalities["0980"].name == "Gotland"


def test_municipality_choices_sort_the_swedish_way() -> None:
    names = [name for _, name in places.municipality_choices()]
    assert names.index("Ystad") < names.index("Åmål") < names.index("Älmhult") < names.index("Örebro")


def test_countries_exclude_sweden_and_have_both_languages() -> None:
    countries = places.countries()
    assert "SE" not in countries
    assert len(countries) > 240
    assert countries["NO"].name("sv") == "Norge" and countries["NO"].name("en") == "Norway"
    assert countries["DE"].name("sv") == "Tyskland"


def test_place_label() -> None:
    assert places.place_label(municipality="0180", country="") == "Stockholm"
    assert places.place_label(municipality="", country="FI", language="en") == "Finland"
    assert places.place_label(municipality="", country="") == ""
