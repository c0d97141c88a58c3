"""Referral rules, police packages, notices to hosts, delivery states, removal tracking."""

from __future__ import annotations

from typing import TextIO

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "hotline.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from hotline.core import registry
        from hotline.core.authz import ADMIN, CASE_ROLES, POLICE_LIAISON, SUPERVISOR

        registry.register_demo_step(name="referrals", order=50, load=_load_demo)
        registry.register_staff_links(
            registry.StaffLink("referrals:list", _("Referrals"), CASE_ROLES, order=30),
            registry.StaffLink("referrals:failed", _("Failed deliveries"), frozenset({SUPERVISOR}), order=50),
            registry.StaffLink(
                "referrals:police", _("Police packages"), frozenset({POLICE_LIAISON, SUPERVISOR}), order=60
            ),
            registry.StaffLink("referrals:partners", _("Partner hotlines"), frozenset({SUPERVISOR, ADMIN}), order=70),
        )


def _load_demo(stdout: TextIO) -> None:
    from hotline.referrals import demo

    demo.load(stdout)
