"""Addresses of the insights dashboard pages (filled in by that part of the app)."""

from __future__ import annotations

urlpatterns: list = []
