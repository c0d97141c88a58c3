"""Insights: statistics from the data, the dashboard with its charts, goals and yearly results, and the
reports hotlines file (docs/statistics.md)."""

from __future__ import annotations

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "hotline.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from hotline.insights import setup

        setup.ready()
