"""Partner API keys (stored hashed) and idempotency records of the partner API."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PartnerKey(models.Model):
    """An API key of a partner (operator app, platform). Only a SHA-256 of the key is stored."""

    partner = models.CharField(max_length=120, db_index=True)
    prefix = models.CharField(max_length=16, unique=True)  # shown to staff to tell keys apart
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.partner} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
