"""Public reporting channels: web form, receipts, bookmark/share target and the partner API."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class IntakeConfig(AppConfig):
    name = "hotline.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import CASE_ROLES
        from hotline.core.retention import register_policy
        from hotline.intake import conf
        from hotline.intake.retention import IDEMPOTENCY

        core_conf.register_accessors("intake.E001", conf.ACCESSORS)
        register_policy(IDEMPOTENCY)
        registry.register_demo_step(name="intake", order=20, load=_load_demo)
        registry.register_staff_links(
            registry.StaffLink("intake:staff_new_report", _("Enter a report"), CASE_ROLES, order=20),
        )


def _load_demo(stdout: Output) -> None:
    from hotline.intake import demo

    demo.load(stdout)
