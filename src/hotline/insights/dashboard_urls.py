"""Addresses of the statistics dashboard, its chart images and the definitions pages (staff and public)."""

from __future__ import annotations

from django.urls import path

from hotline.insights import dashboard_views, definitions

# The definitions pages live where definitions.definition_url() points (tests check both agree).
STAFF_DEFINITIONS_ROUTE = definitions.STAFF_DEFINITIONS_PATH.lstrip("/")
PUBLIC_DEFINITIONS_ROUTE = definitions.PUBLIC_DEFINITIONS_PATH.lstrip("/")

urlpatterns: list = [
    path("insights/", dashboard_views.dashboard_page, name="dashboard"),
    path("insights/charts/<slug:name>.svg", dashboard_views.chart_svg, name="chart"),
    path(STAFF_DEFINITIONS_ROUTE, dashboard_views.staff_definitions, name="definitions"),
    path(PUBLIC_DEFINITIONS_ROUTE, dashboard_views.public_definitions, name="public_definitions"),
]
