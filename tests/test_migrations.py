"""The models and their migrations agree: no change waits for a migration that nobody wrote."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db  # makemigrations also checks the applied history


def test_no_model_change_lacks_a_migration() -> None:
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        raise AssertionError(f"run `manage.py makemigrations`:\n{out.getvalue()}") from exc
