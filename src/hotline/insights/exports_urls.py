"""Addresses of the insights exports: table downloads and the statistics JSON API."""

from __future__ import annotations

from django.urls import path, re_path

from hotline.insights import api, export_views

urlpatterns: list = [
    path("insights/export/", export_views.exports_page, name="exports"),
    re_path(
        r"^insights/export/(?P<name>[a-z0-9-]+)\.(?P<fmt>csv|xlsx)$", export_views.export_table, name="export_table"
    ),
    path("insights/api/v1/figures", api.figures_view, name="api_figures"),
    path("insights/api/v1/tables/<slug:name>", api.table_view, name="api_table"),
]
