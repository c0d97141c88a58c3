"""The insights app's addresses: each part of the app keeps its own URL module."""

from __future__ import annotations

from django.urls import include, path

app_name = "insights"

urlpatterns: list = [
    path("", include("hotline.insights.dashboard_urls")),
    path("", include("hotline.insights.results_urls")),
    path("", include("hotline.insights.exports_urls")),
    path("", include("hotline.insights.reports_urls")),
]
