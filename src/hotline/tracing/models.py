"""HostTrace (one trace job of a host, with its attempts) and HostingObservation (what one trace found).

Both are keyed by host name and never deleted: hosting can move, and the history shows when.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.tracing.failures import FailureCode

__all__ = ["FailureCode", "HostTrace", "HostingObservation", "TraceStatus"]


class TraceStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    RETRYING = "retrying", _("Failed; will try again")
    OK = "ok", _("Traced")
    FAILED = "failed", _("Failed")


OPEN_STATUSES = (TraceStatus.PENDING, TraceStatus.RETRYING)


class HostTrace(models.Model):
    host = models.CharField(max_length=253, db_index=True)  # normalised host name or IP literal, never a URL
    reason = models.CharField(max_length=16, default="triage")  # triage, refresh, staff, demo
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)  # start of the latest attempt
    finished_at = models.DateTimeField(null=True, blank=True)  # end of the latest attempt
    status = models.CharField(max_length=10, choices=TraceStatus.choices, default=TraceStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=20, choices=FailureCode.choices, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    cname_chain = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["host", "-requested_at"], name="hosttrace_host_latest_idx")]
        constraints = [
            # At most one queued or retrying trace per host: request_trace stays idempotent under races.
            models.UniqueConstraint(
                fields=["host"],
                condition=Q(status__in=["pending", "retrying"]),
                name="hosttrace_one_open_per_host",
            )
        ]

    def __str__(self) -> str:
        return f"HostTrace {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class HostingObservation(models.Model):
    """One address of a host as one trace saw it, with where each fact came from (`sources`)."""

    trace = models.ForeignKey(HostTrace, on_delete=models.PROTECT, related_name="observations")
    host = models.CharField(max_length=253, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)  # answer order: A records first
    ip = models.GenericIPAddressField()
    record_type = models.CharField(max_length=8)  # A, AAAA, literal
    country = models.CharField(max_length=2, blank=True)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    as_org = models.CharField(max_length=255, blank=True)
    network_name = models.CharField(max_length=255, blank=True)
    network_handle = models.CharField(max_length=100, blank=True)
    network_cidr = models.CharField(max_length=100, blank=True)
    abuse_email = models.CharField(max_length=254, blank=True)
    holder = models.CharField(max_length=255, blank=True)
    cdn_name = models.CharField(max_length=100, blank=True)
    origin_hidden = models.BooleanField(default=False)
    rdap_server = models.CharField(max_length=253, blank=True)
    rdap_status = models.CharField(max_length=20, blank=True)  # ok, cached, not_found, no_service, or a failure code
    rdap_reason = models.CharField(max_length=500, blank=True)
    # Fields of the RDAP answer that were malformed and left out (or read leniently), e.g.
    # "startAddress: '2a00:2381:ffff::/128' read as 2a00:2381:ffff::"; the rest of the answer is kept.
    rdap_problems = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=40)  # e.g. "dns+mmdb+rdap"
    sources = models.JSONField(default=dict, blank=True)  # fact -> method, e.g. {"country": "mmdb"}
    found_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-found_at", "-trace_id", "position"]
        indexes = [models.Index(fields=["host", "-found_at"], name="hostingobs_host_latest_idx")]

    def __str__(self) -> str:
        return f"HostingObservation {self.pk}"
