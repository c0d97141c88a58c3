"""Who may act: staff users, roles, two-factor login, and partner API keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class StaffConfig(AppConfig):
    name = "hotline.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import ADMIN, SUPERVISOR
        from hotline.staff import conf

        core_conf.register_accessors("staff.E001", conf.ACCESSORS)
        registry.register_privacy_facts(name="staff", facts=_privacy_facts)
        registry.register_demo_step(name="staff", order=10, load=_load_demo)
        registry.register_serve_lines(name="staff", lines=_demo_logins)
        registry.register_staff_links(
            registry.StaffLink("staff:audit", _("Audit log"), frozenset({SUPERVISOR, ADMIN}), order=90),
            registry.StaffLink("staff:users", _("Staff accounts"), frozenset({ADMIN}), order=100),
            registry.StaffLink("staff:partner_keys", _("API keys"), frozenset({ADMIN}), order=110),
        )


def _privacy_facts() -> Mapping[str, Any]:
    from hotline.staff import conf

    return {"staff_sign_in_record_days": conf.sign_in_record_days()}


def _load_demo(stdout: Output) -> None:
    from hotline.staff import demo

    demo.load(stdout)


def _demo_logins() -> str:
    """The demo accounts, printed by `manage.py serve` outside production."""
    from django.conf import settings

    from hotline.staff.demo import describe_logins

    return "" if settings.PRODUCTION else describe_logins()
