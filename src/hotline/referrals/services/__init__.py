"""Writes of the referrals app, one module per use case; every public name is re-exported here, where callers
have always found it (`services.confirm_referral_plan`, `services.ReferralError`, ...).

- plan: confirming a case's referral plan (one small function per target: police, partner hotline, host).
- delivery: the worker's send (message, SMTP), a failed delivery retried by staff, the safety net.
- attempts: each attempt's bookkeeping: the claim before the send, the result after (success, or failure
  and its automatic retry).
- follow_up: delivered / acknowledged, replies, police clearance, escalation of repeated notices.
- police_package: building, storing and handing out the police package.
- removal: content removed or not removed, monitoring, closing, the case's removal times.
- partners: the partner hotline registry (one model for routing and the hotline network).
- network: attempts of referrals the network app delivers (signed messages instead of email).
- retention: erasing stored police packages with the reporters' texts.

Every function runs in one transaction with its audit entry; messages are sent by tasks enqueued in the same
transaction (services import their tasks, tasks import services only inside their bodies). Audit details hold
ids and facts only (no URLs, texts or addresses).
"""

from hotline.referrals.errors import ReferralError, ReferralNotFound, StalePlan
from hotline.referrals.services._common import SYSTEM
from hotline.referrals.services.attempts import (
    DeliveryClaim,
    claim_delivery,
    record_delivery_failure,
    record_delivery_success,
)
from hotline.referrals.services.delivery import deliver, describe_error, enqueue_due_deliveries, retry_delivery
from hotline.referrals.services.follow_up import (
    mark_acknowledged,
    mark_delivered,
    mark_escalation_mailed,
    record_reply,
    release_after_clearance,
    send_escalation,
)
from hotline.referrals.services.network import record_network_attempt
from hotline.referrals.services.partners import create_partner, record_partner_contact, update_partner
from hotline.referrals.services.plan import TargetChoice, confirm_referral_plan, new_reference, record_plan_view
from hotline.referrals.services.police_package import open_package, package_content, store_police_package
from hotline.referrals.services.removal import (
    close_after_monitoring,
    close_finished_monitoring,
    mark_content_removed,
    mark_not_removed,
)
from hotline.referrals.services.retention import ERASE_BATCH, erase_expired_police_packages

__all__ = [
    "ERASE_BATCH",
    "SYSTEM",
    "DeliveryClaim",
    "ReferralError",
    "ReferralNotFound",
    "StalePlan",
    "TargetChoice",
    "claim_delivery",
    "close_after_monitoring",
    "close_finished_monitoring",
    "confirm_referral_plan",
    "create_partner",
    "deliver",
    "describe_error",
    "enqueue_due_deliveries",
    "erase_expired_police_packages",
    "mark_acknowledged",
    "mark_content_removed",
    "mark_delivered",
    "mark_escalation_mailed",
    "mark_not_removed",
    "new_reference",
    "open_package",
    "package_content",
    "record_delivery_failure",
    "record_delivery_success",
    "record_network_attempt",
    "record_partner_contact",
    "record_plan_view",
    "record_reply",
    "release_after_clearance",
    "retry_delivery",
    "send_escalation",
    "store_police_package",
    "update_partner",
]
