"""Addresses of the ready-made reports: the page to choose one, each report as a page and as downloads, and the
definitions of their figures."""

from __future__ import annotations

from django.urls import path, re_path

from hotline.insights import reports_views

urlpatterns: list = [
    path("insights/reports/", reports_views.reports_page, name="reports"),
    path("insights/reports/definitions/", reports_views.report_definitions, name="report_definitions"),
    re_path(r"^insights/reports/(?P<name>quarterly|transparency)/$", reports_views.report_page, name="report"),
    re_path(
        r"^insights/reports/(?P<name>quarterly|transparency)\.(?P<fmt>csv|xlsx)$",
        reports_views.report_download,
        name="report_download",
    ),
]
