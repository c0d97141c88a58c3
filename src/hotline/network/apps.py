"""The hotline network: partner registry (keys), signed messages, outbox and inbox (docs/network.md)."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

STATUS_LABELS = {
    "received": _("received"),
    "in_assessment": _("in assessment"),
    "assessed_illegal": _("assessed illegal"),
    "assessed_not_illegal": _("assessed not illegal there"),
    "referred_to_police": _("referred to the police"),
    "notice_sent_to_host": _("notice sent to the host"),
    "content_removed": _("content removed"),
    "not_removed": _("not removed"),
    "closed": _("closed"),
}


class NetworkConfig(AppConfig):
    name = "hotline.network"
    label = "network"
    verbose_name = "Hotline network"

    def ready(self) -> None:
        from django.core import checks

        from hotline.cases import hooks as case_hooks
        from hotline.core import conf as core_conf
        from hotline.core import registry
        from hotline.core.authz import ADMIN, SUPERVISOR
        from hotline.network import conf, own_key
        from hotline.network.services import statuses
        from hotline.referrals import hooks as referral_hooks
        from hotline.staff import audit_words

        core_conf.register_accessors("network.E001", conf.ACCESSORS)
        audit_words.register(
            sentences={
                "network.identity_set": _("Set this hotline's identity in the network"),
                "network.key_pinned": _("Pinned a partner hotline's key"),
                "network.key_retired": _("Retired a partner hotline's old key"),
                "network.key_rotation_started": _("Started a key rotation: a new key is published beside the old"),
                "network.key_rotation_ended": _("Ended a key rotation: this hotline signs with its new key only"),
                "network.message_queued": _("Queued a message to a partner hotline"),
                "network.message_received": _("Received a message from a partner hotline"),
                "network.message_duplicate": _("Received a message from a partner hotline again (applied once)"),
                "network.message_refused": _("Refused a message claiming to come from a partner hotline"),
                "network.message_retrying": _("A message to a partner hotline could not be delivered yet"),
                "network.message_failed": _("A message to a partner hotline could not be delivered"),
                "network.message_delivered": _("Delivered a message to a partner hotline"),
            },
            parts={"network": _("Hotline network")},
            objects={
                "network_identity": _("network identity"),
                "network_inbox": _("incoming network message"),
                "network_outbox": _("outgoing network message"),
                "partner_hotline": _("partner hotline"),
            },
        )
        checks.register(own_key.check_key_file)
        registry.register_staff_links(
            registry.StaffLink("network:partners", _("Hotline network"), frozenset({ADMIN}), order=75),
            registry.StaffLink("network:outbox", _("Network outbox"), frozenset({ADMIN, SUPERVISOR}), order=76),
        )
        referral_hooks.network_referral_planned.connect(
            statuses.on_network_referral_planned, dispatch_uid="network.queue_forward"
        )
        referral_hooks.referral_progressed.connect(statuses.on_referral_progressed, dispatch_uid="network.progressed")
        case_hooks.case_transitioned.connect(statuses.on_case_transitioned, dispatch_uid="network.case_transitioned")
        case_hooks.case_page_panels.connect(_messages_panel, dispatch_uid="network.messages_panel")
        case_hooks.timeline_labels.connect(_timeline_labels, dispatch_uid="network.timeline_labels")


def _messages_panel(sender: Any, case: Any, **kwargs: Any) -> Any:
    """The case's messages with partner hotlines: the partner's status timeline and time to removal (our
    forwards), or the forward it came from and the statuses we sent back."""
    from hotline.cases.hooks import CasePanel
    from hotline.network.selectors import case_messages

    history = case_messages(case=case)
    if history.empty:
        return None
    return CasePanel(
        key="network",
        title=_("Partner hotlines (network)"),
        template="network/_case_panel.html",
        context={"network": history, "status_labels": STATUS_LABELS},
        order=560,
    )


def _timeline_labels(sender: Any, **kwargs: Any) -> Any:
    from hotline.cases.hooks import TimelineLabels

    return TimelineLabels(kind="network", label=_("Partner hotline:"), actions={"partner_status": _("status")})
