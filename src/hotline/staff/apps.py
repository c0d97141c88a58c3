"""Who may act: staff users, roles, two-factor login, and partner API keys."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class StaffConfig(AppConfig):
    name = "hotline.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from hotline.core import registry
        from hotline.core.authz import ADMIN, SUPERVISOR

        _register_retention()
        registry.register_demo_step(name="staff", order=10, load=_load_demo)
        registry.register_serve_lines(name="staff", lines=_demo_logins)
        registry.register_staff_links(
            registry.StaffLink("staff:audit", _("Audit log"), frozenset({SUPERVISOR, ADMIN}), order=90),
            registry.StaffLink("staff:users", _("Staff accounts"), frozenset({ADMIN}), order=100),
            registry.StaffLink("staff:partner_keys", _("API keys"), frozenset({ADMIN}), order=110),
        )


def _register_retention() -> None:
    from hotline.core import conf
    from hotline.core.retention import register_policy
    from hotline.staff import retention

    conf.register_accessors("staff.E002", retention.ACCESSORS)
    register_policy(retention.SIGN_INS)
    register_policy(retention.FAILED_SIGN_INS)


def _load_demo(stdout: Output) -> None:
    from hotline.staff import demo

    demo.load(stdout)


def _demo_logins() -> str:
    """The demo accounts, printed by `manage.py serve` outside production."""
    from django.conf import settings

    from hotline.staff.demo import describe_logins

    return "" if settings.PRODUCTION else describe_logins()
