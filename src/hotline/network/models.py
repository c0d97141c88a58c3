"""The network app's tables: this instance's identity, partners' pinned keys, the outbox, the inbox, and the
status timeline partners report for our forwards. Partners themselves are referrals.PartnerHotline."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.fields import EncryptedTextField

# The words staff read for a status a partner reports (protocol.STATUSES; the codes stay in the messages).
STATUS_LABELS = {
    "received": _("Received"),
    "in_assessment": _("In assessment"),
    "assessed_illegal": _("Assessed as illegal"),
    "assessed_not_illegal": _("Assessed as not illegal"),
    "referred_to_police": _("Referred to the police"),
    "notice_sent_to_host": _("Notice sent to the host"),
    "content_removed": _("Content removed"),
    "not_removed": _("Not removed"),
    "closed": _("Closed"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


class OwnIdentity(models.Model):
    """This instance in the network (one row, written by `manage.py network_init`). The private key lives in
    HOTLINE_NETWORK_KEY_FILE, never here."""

    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    countries = models.CharField(max_length=200)  # "SE" or "NL,BE"
    base_url = models.CharField(max_length=300)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    @property
    def country_codes(self) -> list[str]:
        return [c for c in self.countries.split(",") if c]


class PinnedKey(models.Model):
    """A partner's public key an administrator confirmed (fingerprint read over the phone). Only pinned,
    unretired keys of active network partners verify messages; two may be live during a key rotation."""

    partner = models.ForeignKey("referrals.PartnerHotline", on_delete=models.CASCADE, related_name="pinned_keys")
    key_id = models.CharField(max_length=64, unique=True)  # RFC 7638 thumbprint, base64url
    public_key = models.CharField(max_length=64)  # raw Ed25519 key, base64url (the JWK's x)
    fingerprint = models.CharField(max_length=48)
    pinned_at = models.DateTimeField(default=timezone.now)
    pinned_by = models.ForeignKey("staff.StaffUser", null=True, on_delete=models.PROTECT, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["partner_id", "pinned_at"]

    @property
    def live(self) -> bool:
        return self.retired_at is None


class MessageKind(models.TextChoices):
    REPORT_FORWARD = "report.forward", _("Report forwarded")
    REPORT_STATUS = "report.status", _("Status update")


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    RETRYING = "retrying", _("Retrying")
    DELIVERED = "delivered", _("Delivered and acknowledged")
    FAILED = "failed", _("Delivery failed")


class OutboxMessage(models.Model):
    """One message to one partner, committed with the change that causes it and sent by a task until the
    partner acknowledges it. The signed body is kept (encrypted) so every retry sends the very same bytes."""

    message_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    partner = models.ForeignKey("referrals.PartnerHotline", on_delete=models.PROTECT, related_name="outbox")
    # The forward's referral (sender side) or the case the status is about (receiver side).
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="network_messages"
    )
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # For a status: which received forward it answers and which status it reports (each sent once).
    forward = models.ForeignKey(
        "network.InboxMessage", null=True, blank=True, on_delete=models.CASCADE, related_name="status_messages"
    )
    status = models.CharField(max_length=24, blank=True)
    body = EncryptedTextField()  # the JSON document exactly as sent
    state = models.CharField(max_length=12, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)  # also the worker's lease
    last_error = models.CharField(max_length=500, blank=True)
    last_http_status = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=OutboxState.values), name="outbox_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=OutboxState.DELIVERED) | Q(delivered_at__isnull=False), name="outbox_delivered_at"
            ),
            models.CheckConstraint(
                condition=~Q(state=OutboxState.FAILED) | (Q(failed_at__isnull=False) & ~Q(last_error="")),
                name="outbox_failed_has_error",
            ),
            models.UniqueConstraint(
                fields=["forward", "status"], condition=Q(forward__isnull=False), name="outbox_one_status_per_forward"
            ),
        ]

    @property
    def status_label(self) -> str:
        return status_label(self.status)


class InboxMessage(models.Model):
    """A message a partner delivered and we committed: the key of idempotency (sender, message id), the hash of
    the body (a second body under the same id is refused) and what it became. The body itself is not kept."""

    sender = models.CharField(max_length=32)
    message_id = models.UUIDField()
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    partner = models.ForeignKey("referrals.PartnerHotline", on_delete=models.PROTECT, related_name="inbox")
    body_sha256 = models.CharField(max_length=64)
    created = models.DateTimeField()  # the message's own creation time
    received_at = models.DateTimeField(default=timezone.now)
    # report.forward: the partner's case reference and the report it became.
    case_reference = models.CharField(max_length=64, blank=True)
    report = models.ForeignKey("cases.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # report.status: the forward (our outbox message) and the status it reported.
    about = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="statuses_received"
    )
    status = models.CharField(max_length=24, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    applied = models.BooleanField(default=True)  # False: an older status that arrived after a newer one

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "message_id"], name="inbox_once_per_sender_and_id"),
        ]

    @property
    def status_label(self) -> str:
        return status_label(self.status)
