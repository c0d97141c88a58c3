"""Addresses of the goals and results pages: the staff pages under /insights/results/ and the public pages of a
published year under /results/, beside the public definitions (/results/definitions/)."""

from __future__ import annotations

from django.urls import path

from hotline.insights import results_views

urlpatterns: list = [
    path("insights/results/", results_views.years_page, name="results"),
    path("insights/results/new/", results_views.new_goal, name="results_new_goal"),
    path("insights/results/<int:year>/", results_views.year_page, name="results_year"),
    path("insights/results/<int:year>/goals/", results_views.add_goal, name="results_add_goal"),
    path("insights/results/<int:year>/publish/", results_views.publish, name="results_publish"),
    path("insights/results/goals/<int:pk>/", results_views.edit_goal, name="results_edit_goal"),
    path("insights/results/goals/<int:pk>/computed/", results_views.add_computed, name="results_add_computed"),
    path("insights/results/goals/<int:pk>/manual/", results_views.add_manual, name="results_add_manual"),
    path(
        "insights/results/indicators/<int:pk>/remove/",
        results_views.remove_indicator,
        name="results_remove_indicator",
    ),
    path("insights/results/published/<int:pk>/", results_views.published_page, name="results_published"),
    path(
        "insights/results/published/<int:pk>/charts/<int:number>.svg",
        results_views.published_chart,
        name="results_published_chart",
    ),
    path("results/<int:year>/", results_views.public_year, name="public_results"),
    path("results/<int:year>.pdf", results_views.public_pdf, name="public_results_pdf"),
    path("results/<int:year>/charts/<int:number>.svg", results_views.public_chart, name="public_results_chart"),
]
