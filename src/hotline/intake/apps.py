"""Public reporting channels: web form, receipts, bookmark/share target, partner API keys and API."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "hotline.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from hotline.core import conf as core_conf
        from hotline.intake import conf

        core_conf.register_accessors("intake.E001", conf.ACCESSORS)
