"""Writes of the network app, one module per use case, re-exported here.

- identity: this instance's code, countries, base URL and key (manage.py network_init).
- registry: partners' identity documents fetched, keys pinned and retired, network or email.
- outbox: messages committed with their cause, and their delivery (sign, POST, verify the ack, retry).
- inbox: verifying, applying once and acknowledging a partner's delivery; every refusal audited.
- statuses: the hooks' receivers that queue report.status as the case moves on.
"""

from hotline.network.services.identity import SYSTEM, identity_document, initialise, own_identity
from hotline.network.services.inbox import Answer, receive
from hotline.network.services.outbox import (
    enqueue_due_messages,
    queue_forward,
    queue_status,
    retry_now,
    send_outbox_message,
)
from hotline.network.services.registry import fetch_identity, register_partner, retire_key, set_partner

__all__ = [
    "SYSTEM",
    "Answer",
    "enqueue_due_messages",
    "fetch_identity",
    "identity_document",
    "initialise",
    "own_identity",
    "queue_forward",
    "queue_status",
    "receive",
    "register_partner",
    "retire_key",
    "retry_now",
    "send_outbox_message",
    "set_partner",
]
