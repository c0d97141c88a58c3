"""Fixtures of the network tests: a key file of the test's own, this instance as SE-ECPAT, a partner NL."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _network_settings(settings: Any, tmp_path: Any) -> None:
    settings.HOTLINE_NETWORK_KEY_FILE = str(tmp_path / "network-key.pem")
    settings.HOTLINE_HOME_COUNTRY = "SE"
    settings.HOTLINE_NETWORK_RETRY_BASE_SECONDS = 30
    settings.HOTLINE_NETWORK_MAX_ATTEMPTS = 3


@pytest.fixture
def se(db: Any) -> Any:
    from hotline.network.factories import own_identity

    return own_identity(code="SE-ECPAT", countries="SE", base_url="http://127.0.0.1:8000")


@pytest.fixture
def nl(db: Any) -> Any:
    from hotline.network.factories import network_partner

    return network_partner(code="NL-EXAMPLE", countries="NL")
