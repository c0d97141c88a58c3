"""Petitions with confirmed signatures, and the newsletter with double opt-in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output


class CampaignsConfig(AppConfig):
    name = "hotline.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from hotline.campaigns import conf
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import CAMPAIGNER

        core_conf.register_accessors("campaigns.E001", conf.ACCESSORS)
        _register_retention()
        registry.register_demo_step(name="campaigns", order=60, load=_load_demo)
        registry.register_privacy_facts(name="campaigns", facts=_privacy_facts)
        registry.register_staff_links(
            registry.StaffLink("campaigns:dashboard", _("Campaigns"), frozenset({CAMPAIGNER}), order=80),
        )


def _register_retention() -> None:
    from hotline.campaigns.services import retention
    from hotline.core.retention import register_policy

    for policy in retention.POLICIES:
        register_policy(policy)


def _load_demo(stdout: Output) -> None:
    from hotline.campaigns import demo

    demo.load(stdout)


def _privacy_facts() -> Mapping[str, Any]:
    from hotline.campaigns import conf

    return {
        "pending_days": conf.pending_signature_days(),
        "petition_months": conf.retention_months(),
        "unconfirmed_days": conf.unconfirmed_subscriber_days(),
        "unsubscribed_days": conf.unsubscribed_subscriber_days(),
    }
