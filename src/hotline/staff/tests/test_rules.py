"""Pure staff rules, tested without a database."""

from __future__ import annotations

import pytest

from hotline.core.authz import ROLES
from hotline.staff import rules


@pytest.mark.parametrize(
    ("typed", "clean"), [(" 123 456 ", "123456"), ("ABCD-EFGH", "abcdefgh"), ("ab\tcd", "abcd"), ("", "")]
)
def test_clean_code(typed: str, clean: str) -> None:
    assert rules.clean_code(typed) == clean


@pytest.mark.parametrize(
    ("code", "expected"),
    [("123456", True), ("12345", False), ("1234567", False), ("abcdefgh", False), ("١٢٣٤٥٦", False)],
)
def test_looks_like_totp(code: str, expected: bool) -> None:
    assert rules.looks_like_totp(code) is expected


def test_format_recovery_code() -> None:
    assert rules.format_recovery_code("abcdefgh") == "abcd-efgh"


def test_every_role_has_a_label() -> None:  # which links each role sees: tests/test_staff_navigation.py
    assert [r for r, _ in rules.role_choices()] == list(ROLES)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"actor_id": 1, "user_id": 1, "is_active_admin": True, "keeps_admin": True, "stays_active": False,
          "other_active_admins": 3}, "self_deactivate"),
        ({"actor_id": 1, "user_id": 2, "is_active_admin": True, "keeps_admin": False, "stays_active": True,
          "other_active_admins": 0}, "last_admin"),
        ({"actor_id": None, "user_id": 2, "is_active_admin": True, "keeps_admin": True, "stays_active": False,
          "other_active_admins": 0}, "last_admin"),
        ({"actor_id": 1, "user_id": 2, "is_active_admin": True, "keeps_admin": False, "stays_active": True,
          "other_active_admins": 1}, None),
        ({"actor_id": 1, "user_id": 2, "is_active_admin": False, "keeps_admin": False, "stays_active": False,
          "other_active_admins": 0}, None),
        ({"actor_id": 1, "user_id": 1, "is_active_admin": True, "keeps_admin": True, "stays_active": True,
          "other_active_admins": 0}, None),
    ],
)  # fmt: skip
def test_admin_change_problem(kwargs: dict[str, object], problem: str | None) -> None:
    assert rules.admin_change_problem(**kwargs) == problem  # type: ignore[arg-type]
