"""Idempotency records of the partner API (the partner keys themselves are staff.PartnerKey) and the hotline's
replies to reporters (shown on the status page to whoever holds the receipt)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from hotline.core.fields import EncryptedTextField


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


class HotlineReply(models.Model):
    """A message from the hotline to the reporter of one report, read on the status page with the receipt.

    The text is encrypted; it is deleted with the reporter's own texts (intake.retention, after cases erases
    them) and with the report."""

    report = models.ForeignKey("cases.Report", on_delete=models.CASCADE, related_name="hotline_replies")
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    text = EncryptedTextField(context="intake.hotlinereply.text")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["report_id", "sent_at", "pk"]
