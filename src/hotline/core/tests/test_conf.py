"""The one settings reader: where a value comes from, how each type parses, refusals, cache, start-up check."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.core import conf

NAME = "HOTLINE_TEST_SETTING"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the environment variable NAME (and forget cached reads, as a restart would)."""

    def set_env(value: str) -> None:
        monkeypatch.setenv(NAME, value)
        conf.clear_cache()

    monkeypatch.delenv(NAME, raising=False)
    conf.clear_cache()
    yield set_env
    conf.clear_cache()


def test_a_django_setting_wins_then_the_environment_then_the_default(settings: Any, env: Any) -> None:
    assert conf.integer(NAME, 7) == 7
    env("8")
    assert conf.integer(NAME, 7) == 8
    settings.HOTLINE_TEST_SETTING = 9
    assert conf.integer(NAME, 7) == 9
    settings.HOTLINE_TEST_SETTING = None  # None is "not set": the environment counts again
    assert conf.integer(NAME, 7) == 8


def test_an_empty_environment_variable_is_unset_but_an_empty_setting_is_a_value(settings: Any, env: Any) -> None:
    env("   ")
    assert conf.text(NAME, "default") == "default"
    assert conf.integer(NAME, 3) == 3
    settings.HOTLINE_TEST_SETTING = ""
    assert conf.text(NAME, "default") == ""


def test_environment_values_lose_surrounding_spaces(env: Any) -> None:
    env("  12 ")
    assert conf.integer(NAME, 0) == 12
    assert conf.text(NAME, "") == "12"


@pytest.mark.parametrize("value", ["abc", "1.5", "12abc", "", "٣", "1e3"])
def test_integer_refuses_what_is_not_a_whole_number(settings: Any, value: str) -> None:
    settings.HOTLINE_TEST_SETTING = value
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.integer(NAME, 1)
    message = str(refused.value)
    assert NAME in message and "whole number" in message and "Django settings" in message


def test_a_refusal_names_the_setting_and_where_it_was_set_never_the_value(env: Any) -> None:
    env("http://user:secret@proxy.example.test:notaport")
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.integer(NAME, 1)
    assert str(refused.value) == f"{NAME} must be a whole number (set in the environment)."


def test_integer_types_and_bounds(settings: Any) -> None:
    for value, expected in [(5, 5), ("-3", -3), ("+4", 4), (" 6 ", 6)]:
        settings.HOTLINE_TEST_SETTING = value
        assert conf.integer(NAME, 0) == expected
    settings.HOTLINE_TEST_SETTING = True  # a bool is not a number of anything
    with pytest.raises(ImproperlyConfigured):
        conf.integer(NAME, 0)
    settings.HOTLINE_TEST_SETTING = 0
    assert conf.integer(NAME, 50, minimum=5, maximum=200) == 5
    settings.HOTLINE_TEST_SETTING = "5000"
    assert conf.integer(NAME, 50, minimum=5, maximum=200) == 200


def test_number(settings: Any) -> None:
    settings.HOTLINE_TEST_SETTING = "2.5"
    assert conf.number(NAME, 1.0) == 2.5
    settings.HOTLINE_TEST_SETTING = 3
    assert conf.number(NAME, 1.0) == 3.0
    settings.HOTLINE_TEST_SETTING = "-1"
    assert conf.number(NAME, 1.0, minimum=0) == 0
    for bad in ("nan", "inf", "fast", True):
        settings.HOTLINE_TEST_SETTING = bad
        with pytest.raises(ImproperlyConfigured, match=f"{NAME} must be a number"):
            conf.number(NAME, 1.0)


def test_boolean(settings: Any) -> None:
    assert conf.boolean(NAME, True) is True
    for word, expected in [("1", True), ("Yes", True), ("on", True), ("0", False), ("FALSE", False), ("off", False)]:
        settings.HOTLINE_TEST_SETTING = word
        assert conf.boolean(NAME, not expected) is expected
    settings.HOTLINE_TEST_SETTING = False
    assert conf.boolean(NAME, True) is False
    settings.HOTLINE_TEST_SETTING = "maybe"
    with pytest.raises(ImproperlyConfigured, match=NAME):
        conf.boolean(NAME, True)


def test_text_refuses_another_type(settings: Any) -> None:
    settings.HOTLINE_TEST_SETTING = 12
    with pytest.raises(ImproperlyConfigured, match=f"{NAME} must be text"):
        conf.text(NAME, "")


def test_comma_list(settings: Any, env: Any) -> None:
    assert conf.comma_list(NAME, ("a",)) == ("a",)
    env(" x, ,y ,")
    assert conf.comma_list(NAME) == ("x", "y")
    settings.HOTLINE_TEST_SETTING = ["p ", "q"]
    assert conf.comma_list(NAME) == ("p", "q")
    settings.HOTLINE_TEST_SETTING = {"b", "a"}
    assert conf.comma_list(NAME) == ("a", "b")
    settings.HOTLINE_TEST_SETTING = {"a": 1}
    with pytest.raises(ImproperlyConfigured, match="comma-separated list"):
        conf.comma_list(NAME)
    settings.HOTLINE_TEST_SETTING = [1, 2]
    with pytest.raises(ImproperlyConfigured):
        conf.comma_list(NAME)


def _lower(value: str) -> str:
    return value.strip().lower()


def test_choice_normalises_then_refuses_anything_else(settings: Any) -> None:
    choices = frozenset({"email", "download"})
    assert conf.choice(NAME, "download", choices) == "download"
    settings.HOTLINE_TEST_SETTING = " EMAIL "
    assert conf.choice(NAME, "download", choices, normalise=_lower) == "email"
    settings.HOTLINE_TEST_SETTING = "emial"
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.choice(NAME, "download", choices, normalise=_lower)
    assert "one of download, email" in str(refused.value)


def test_path(settings: Any, tmp_path: Path) -> None:
    default = tmp_path / "default"
    assert conf.path(NAME, default) == default
    settings.HOTLINE_TEST_SETTING = str(tmp_path / "chosen")
    assert conf.path(NAME, default) == tmp_path / "chosen"
    settings.HOTLINE_TEST_SETTING = tmp_path / "as-path"
    assert conf.path(NAME, default) == tmp_path / "as-path"
    settings.HOTLINE_TEST_SETTING = ""
    assert conf.path(NAME, default) == default
    settings.HOTLINE_TEST_SETTING = 3
    with pytest.raises(ImproperlyConfigured, match="file system path"):
        conf.path(NAME, default)


def _even(value: Any) -> int:
    number = int(value)
    if number % 2:
        raise ValueError("odd")
    return number


def test_parsed_takes_the_apps_own_format(settings: Any) -> None:
    assert conf.parsed(NAME, 2, _even, expects="an even number") == 2
    settings.HOTLINE_TEST_SETTING = "4"
    assert conf.parsed(NAME, 2, _even, expects="an even number") == 4
    settings.HOTLINE_TEST_SETTING = "5"
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be an even number"):
        conf.parsed(NAME, 2, _even, expects="an even number")


def test_reads_are_cached_until_a_setting_changes(settings: Any, env: Any) -> None:
    env("1")
    assert conf.integer(NAME, 0) == 1
    os.environ[NAME] = "2"  # the environment of a running process does not change: the cached value stays
    assert conf.integer(NAME, 0) == 1
    settings.HOTLINE_OTHER_TEST_SETTING = "x"  # any setting_changed empties the cache
    assert conf.integer(NAME, 0) == 2
    settings.HOTLINE_TEST_SETTING = 3
    assert conf.integer(NAME, 0) == 3


def test_a_refused_value_is_not_cached(settings: Any) -> None:
    settings.HOTLINE_TEST_SETTING = "x"
    for _ in range(2):
        with pytest.raises(ImproperlyConfigured):
            conf.integer(NAME, 0)


def test_the_check_reports_each_malformed_setting_once_with_the_registering_apps_id(settings: Any) -> None:
    def first() -> int:
        return conf.integer(NAME, 1)

    def second() -> int:
        return conf.integer(NAME, 1) + 1

    before = conf.registered_accessors()
    conf.register_accessors("testapp.E001", (first, second))
    try:
        assert conf.check_settings() == []
        settings.HOTLINE_TEST_SETTING = "one"
        problems = conf.check_settings()
        assert [(p.id, p.msg) for p in problems] == [
            ("testapp.E001", f"{NAME} must be a whole number (set in Django settings).")
        ]
    finally:
        conf._accessors.clear()
        conf._accessors.update(before)


def test_every_app_registers_its_accessors() -> None:
    registered = conf.registered_accessors()
    assert set(registered) >= {
        "core.E001",
        "intake.E001",
        "cases.E001",
        "tracing.E001",
        "referrals.E001",
        "campaigns.E001",
    }
    assert conf.check_settings() == []


def test_recording_names(settings: Any) -> None:
    with conf.recording_names() as names:
        conf.integer(NAME, 1)
        conf.text("HOTLINE_OTHER_TEST_SETTING", "")
    conf.integer("HOTLINE_NOT_RECORDED", 1)
    assert names == {NAME, "HOTLINE_OTHER_TEST_SETTING"}


def test_the_refusal_does_not_carry_the_parsers_message_along(settings: Any) -> None:
    settings.HOTLINE_TEST_SETTING = "http://user:secret@proxy.example.test/"
    with pytest.raises(ImproperlyConfigured) as refused:
        conf.integer(NAME, 1)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
