"""Public reporting channels: web form, receipts, bookmark/share target and the partner API."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class IntakeConfig(AppConfig):
    name = "hotline.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from hotline.cases import hooks
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import CASE_ROLES
        from hotline.core.retention import register_policy
        from hotline.intake import conf
        from hotline.intake.retention import HOTLINE_REPLIES, IDEMPOTENCY

        core_conf.register_accessors("intake.E001", conf.ACCESSORS)
        register_policy(IDEMPOTENCY)
        register_policy(HOTLINE_REPLIES)
        hooks.case_page_panels.connect(_reply_panel, dispatch_uid="intake.reply_panel")
        registry.register_demo_step(name="intake", order=20, load=_load_demo)
        registry.register_staff_links(
            registry.StaffLink("intake:staff_new_report", _("Enter a report"), CASE_ROLES, order=20),
        )


def _reply_panel(sender: Any, case: Any, **kwargs: Any) -> Any:
    """The case page's panel to write to the reporters of the case who hold a receipt (their status page)."""
    from hotline.cases.hooks import CasePanel
    from hotline.intake.selectors import reporters_to_reply_to

    reports = reporters_to_reply_to(case)
    if not reports:
        return None
    return CasePanel(
        key="reporter-replies",
        title=_("Messages with the reporter"),
        template="intake/staff_reply_panel.html",
        context={"reply_reports": reports},
        order=350,  # after the case's reports
    )


def _load_demo(stdout: Output) -> None:
    from hotline.intake import demo

    demo.load(stdout)
