"""Public reporting channels: web form, receipts, bookmark/share target, partner API keys and API."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "hotline.intake"
    label = "intake"
    verbose_name = "Intake"
