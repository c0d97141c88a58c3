"""Security headers are set in one place; these tests pin them."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_public_page_headers(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]


def test_staff_pages_are_no_store(staff_client: Any) -> None:
    response = staff_client("analyst").get("/staff/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_hsts_in_production(settings: Any, client: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")


def test_database_unavailable_gives_503(client: Any, monkeypatch: Any) -> None:
    from django.db import OperationalError, connection

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    # A page that reads the database (/healthz no longer does: it is the liveness check and stays 200).
    assert client.get("/healthz").status_code == 200
    response = client.get("/petitions/")
    assert response.status_code == 503
    assert b"Traceback" not in response.content
    assert response["Retry-After"] == "30"
