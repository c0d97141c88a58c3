"""Addresses of the insights exports: table downloads and the statistics JSON API."""

from __future__ import annotations

from django.urls import URLPattern, include, path, re_path

from hotline.core.authz import PUBLIC, declare
from hotline.insights import api, export_views

_api_patterns, _api_app, _api_namespace = api.api.urls
for _pattern in _api_patterns:
    if isinstance(_pattern, URLPattern) and _pattern.name == "api-root":
        _pattern.callback = declare(api.api_index, *api.ROLES)
    elif isinstance(_pattern, URLPattern) and _pattern.name == "openapi-json":
        declare(_pattern.callback, PUBLIC)  # the contract itself is public, like the partner API's
    elif isinstance(_pattern, URLPattern):
        declare(_pattern.callback, *api.ROLES)  # the API checks the roles itself (api.StatisticsSession)

urlpatterns: list = [
    path("insights/export/", export_views.exports_page, name="exports"),
    re_path(
        r"^insights/export/(?P<name>[a-z0-9-]+)\.(?P<fmt>csv|xlsx)$", export_views.export_table, name="export_table"
    ),
    path("insights/api/v1/", include((_api_patterns, "statistics_api"), namespace="statistics_api")),
]
