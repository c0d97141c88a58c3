"""Idempotency records of the partner API (the partner keys themselves are staff.PartnerKey)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
