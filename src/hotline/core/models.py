"""Platform tables: the scheduler's bookkeeping, rate-limit counters, the hash-chained audit log and its checks,
and the counters of /metrics."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    name = models.CharField(max_length=120, unique=True)
    last_enqueued_at = models.DateTimeField()


class RateCounter(models.Model):
    """A short-lived counter of a rate limit, keyed by a keyed hash (never an address).

    One atomic upsert per event (hotline.core.ratelimit.count_event); rows expire with their window
    and are purged by a periodic job. Shared by every web and worker process.
    """

    key = models.CharField(max_length=96, primary_key=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)


class AuditChainHead(models.Model):
    """One row: the newest sequence number and hash. Locking it serialises appends to the chain."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "staff_auditchainhead"  # created by the staff app, where the audit log began


class AuditEntry(models.Model):
    """Append-only. `hash` = SHA-256 of this entry's canonical form (hotline.core.audit, docs/security.md):
    version 2 covers every column but the row id; entries written before version 2 keep their version 1 hash."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    # The browser filters on these and shows newest first: composite indexes ending in seq let a filtered page be
    # read straight off one index (no sort of every matching row) on a log of millions (Meta.indexes).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=200)  # kept even if the user is renamed
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which canonical form `hash` is over. The database default 1 also serves a process of an earlier release
    # still writing during an upgrade: it knows no other form.
    hash_version = models.PositiveSmallIntegerField(db_default=1)

    class Meta:
        db_table = "staff_auditentry"  # created by the staff app, where the audit log began
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["actor", "seq"], name="audit_actor_seq"),
            models.Index(fields=["actor_label", "seq"], name="audit_actor_label_seq"),
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_seq"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Audit entries are append-only.")


class MetricCount(models.Model):
    """One counter of /metrics, summed over every process: each web and worker process adds what it counted
    every few seconds (hotline.core.metrics). Labels are fixed words (view names, statuses, task names), never
    data from a request."""

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=400)  # the label values as canonical JSON
    value = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="metric_count_unique")]


class AuditCheck(models.Model):
    """One run of `manage.py verify_audit`: when, how many entries it checked, and the first broken entry (None:
    the chain was intact). /metrics shows the time of the newest intact run."""

    checked_at = models.DateTimeField(db_index=True)
    entries = models.BigIntegerField()
    broken_at = models.BigIntegerField(null=True, blank=True)


class AuditArchive(models.Model):
    """One archived and pruned stretch of the audit log: entries `first_seq`..`up_to_seq` were written to
    `file_name` (JSON lines, every column) and deleted. The newest row's seq and hash are where `audit.verify`
    starts, so the entries left are still proved by the chain; the file proves the stretch it holds."""

    first_seq = models.BigIntegerField()
    up_to_seq = models.BigIntegerField(unique=True)
    up_to_hash = models.CharField(max_length=64)
    entries = models.BigIntegerField()
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    archived_at = models.DateTimeField()

    class Meta:
        ordering = ["-up_to_seq"]
