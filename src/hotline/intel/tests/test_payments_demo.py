"""The payment indicators demo step: indicators deduplicated across the demo cases, one export, idempotent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from hotline.intel import payments_demo
from hotline.intel.models import CoalitionExport, PaymentIndicator
from hotline.staff import demo as staff_demo

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once(settings: Any, tmp_path: Path) -> None:
    settings.HOTLINE_COALITION_KEY_FILE = str(tmp_path / "coalition.pem")
    staff_demo.load(io.StringIO())
    out = io.StringIO()
    payments_demo.load(out)
    payments_demo.load(out)
    assert PaymentIndicator.objects.count() == 7  # 9 entries, the Bitcoin address and the IBAN on two cases each
    assert PaymentIndicator.objects.get(kind="iban").case_count == 2
    assert CoalitionExport.objects.count() == 1 and CoalitionExport.objects.get().indicator_count == 5
    assert "coalition export 1 signed" in out.getvalue()
