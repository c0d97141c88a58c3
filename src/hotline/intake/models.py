"""Partner API keys (stored hashed), reporters' follow-up messages and idempotency records of the partner API."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from hotline.core.fields import EncryptedTextField

SCOPE_CREATE = "reports:create"
SCOPE_READ = "reports:read"
DEFAULT_SCOPES = [SCOPE_CREATE, SCOPE_READ]


class PartnerKey(models.Model):
    """An API key of a partner (operator app, platform). Only a SHA-256 of the key is stored."""

    partner = models.CharField(max_length=120, db_index=True)
    prefix = models.CharField(max_length=16, unique=True)  # shown to staff to tell keys apart
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["partner", "-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ReporterMessage(models.Model):
    """Information a reporter added later on the status page (receipt code). Text is encrypted."""

    report = models.ForeignKey("cases.Report", on_delete=models.CASCADE, related_name="reporter_messages")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    text = EncryptedTextField()
    read_at = models.DateTimeField(null=True, blank=True)  # set by casework when an analyst has seen it

    class Meta:
        ordering = ["report_id", "received_at", "pk"]


class IdempotencyRecord(models.Model):
    """The first answer to a partner request with an Idempotency-Key, replayed to retries for a day.

    The key itself is stored as a SHA-256 (partners may put anything in it); the answer holds ids only.
    """

    partner = models.CharField(max_length=120)
    key_hash = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)  # method, path and body: a reuse with another body is refused
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "key_hash"], name="idempotency_partner_key_unique")]
