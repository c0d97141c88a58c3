"""Referral rules, police packages, notices to hosts, delivery states, removal tracking."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from hotline.core.registry import Output

# What this app writes on a case's timeline (cases.services.record_case_event: kind "referral",
# details["action"]), and how the case page names it.
TIMELINE_ACTIONS = {
    "planned": _("planned"),
    "sent": _("sent"),
    "resent": _("sent again"),
    "delivered": _("delivered"),
    "acknowledged": _("acknowledged"),
    "failed": _("delivery failed"),
    "bounced": _("bounced"),
    "auto_reply": _("automatic reply received"),
    "escalated": _("escalated"),
    "cleared": _("cleared by police"),
    "retry": _("retried"),
    "not_removed": _("not removed"),
    "content_removed": _("content removed"),
    "package_downloaded": _("police package downloaded"),  # before issue 19: by anyone
    "package_collected": _("police package collected by the police liaison"),
    "package_copied": _("copy of the police package downloaded by staff (no change of state)"),
}


class ReferralsConfig(AppConfig):
    name = "hotline.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from hotline.cases import hooks
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import ADMIN, CASE_ROLES, POLICE_LIAISON, SUPERVISOR
        from hotline.referrals import conf

        core_conf.register_accessors("referrals.E001", conf.ACCESSORS)
        _register_retention()
        registry.register_demo_step(name="referrals", order=50, load=_load_demo)
        registry.register_metrics(name="referrals", collect=_metrics)
        registry.register_ready_facts(name="referrals", facts=_ready_facts)
        registry.register_staff_links(
            registry.StaffLink("referrals:list", _("Referrals"), CASE_ROLES, order=30),
            registry.StaffLink("referrals:failed", _("Failed deliveries"), frozenset({SUPERVISOR}), order=50),
            registry.StaffLink(
                "referrals:police", _("Police packages"), frozenset({POLICE_LIAISON, SUPERVISOR}), order=60
            ),
            registry.StaffLink("referrals:partners", _("Partner hotlines"), frozenset({SUPERVISOR, ADMIN}), order=70),
        )
        hooks.case_page_panels.connect(_referrals_panel, dispatch_uid="referrals.referrals_panel")
        hooks.timeline_labels.connect(_timeline_labels, dispatch_uid="referrals.timeline_labels")
        hooks.police_now_requested.connect(_police_now, dispatch_uid="referrals.police_now")


def _police_now(sender: Any, case: Any, actor: Any, urgency: str, **kwargs: Any) -> int:
    from hotline.referrals.services.plan import refer_to_police_now

    return refer_to_police_now(case=case, actor=actor, urgency=urgency)


def _register_retention() -> None:
    from hotline.core.retention import register_policy
    from hotline.referrals.services import retention

    register_policy(retention.POLICE_PACKAGES)
    register_policy(retention.REFERRALS_OF_ANONYMISED_CASES)


def _referrals_panel(sender: Any, case: Any, **kwargs: Any) -> Any:
    """The case's referrals on the case page, after its status-only close form."""
    from hotline.cases.hooks import CasePanel
    from hotline.referrals.selectors import referrals_for_case

    return CasePanel(
        key="referrals",
        title=_("Referrals"),
        template="referrals/_case_panel.html",
        context={"referrals": referrals_for_case(case=case)},
        order=550,
    )


def _timeline_labels(sender: Any, **kwargs: Any) -> Any:
    from hotline.cases.hooks import TimelineLabels

    return TimelineLabels(kind="referral", label=_("Referral:"), actions=TIMELINE_ACTIONS)


def _metrics() -> Any:
    from hotline.referrals import metrics

    return metrics.collect()


def _ready_facts() -> Any:
    from hotline.referrals import metrics

    return metrics.ready_facts()


def _load_demo(stdout: Output) -> None:
    from hotline.referrals import demo

    demo.load(stdout)
