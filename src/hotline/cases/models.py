"""Report (what came in), ReportedUrl (each URL of it), Case (one per canonical URL or situation)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.fields import EncryptedTextField


class ReportKind(models.TextChoices):
    ONLINE_MATERIAL = "online_material", _("Material on the internet")
    TRAFFICKING = "trafficking", _("Child sex trafficking")
    GROOMING = "grooming", _("Grooming")
    SEXTORTION = "sextortion", _("Sextortion")
    TRAVELLING_OFFENDER = "travelling_offender", _("Travelling offender")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    """How a report arrived. API and network reports also record which partner (source_name)."""

    WEB = "web", _("Web form")
    BOOKMARK = "bookmark", _("Bookmark")
    SHARE = "share", _("Share menu")
    API = "api", _("Partner API")
    NETWORK = "network", _("Partner hotline")
    STAFF = "staff", _("Entered by staff")


class NexusHint(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Don't know")


class Report(models.Model):
    """One tip as received. Sensitive text is encrypted; the receipt is kept only as a keyed hash."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, db_index=True)
    source_name = models.CharField(max_length=120, blank=True)  # partner or hotline name for api/network
    kind = models.CharField(max_length=32, choices=ReportKind.choices, db_index=True)
    where_seen = EncryptedTextField(blank=True)
    description = EncryptedTextField(blank=True)
    contact = EncryptedTextField(blank=True)
    reporter_classification = models.CharField(max_length=64, blank=True)
    nexus_victim = models.CharField(max_length=8, choices=NexusHint.choices, default=NexusHint.UNKNOWN)
    nexus_offender = models.CharField(max_length=8, choices=NexusHint.choices, default=NexusHint.UNKNOWN)
    nexus_place = models.CharField(max_length=8, choices=NexusHint.choices, default=NexusHint.UNKNOWN)
    language = models.CharField(max_length=8, default="sv")
    receipt_index = models.CharField(max_length=64, blank=True, db_index=True)
    partner_key = models.ForeignKey(
        "intake.PartnerKey", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    entered_by = models.ForeignKey("staff.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"Report {self.public_id}"


class ReportedUrl(models.Model):
    """A URL exactly as reported (encrypted), its blind index, and the case it was attached to."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="urls")
    position = models.PositiveSmallIntegerField(default=0)
    url = EncryptedTextField()
    url_index = models.CharField(max_length=64, db_index=True)  # blind index of the URL as reported
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_urls"
    )

    class Meta:
        ordering = ["report_id", "position"]
        constraints = [models.UniqueConstraint(fields=["report", "position"], name="reported_url_position_unique")]


class CaseState(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_ASSESSMENT = "in_assessment", _("In assessment")
    ASSESSED = "assessed", _("Assessed")
    REFERRED = "referred", _("Referred")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    REMOVED = "removed", _("Removed")
    NOT_ILLEGAL = "not_illegal", _("Not illegal")
    UNREACHABLE = "unreachable", _("Unreachable")
    DUPLICATE = "duplicate", _("Duplicate")
    NO_ACTION_POSSIBLE = "no_action_possible", _("No action possible")


class Case(models.Model):
    """One per canonical URL (url_index unique), or one per report without URL (url_index null)."""

    kind = models.CharField(max_length=32, choices=ReportKind.choices, db_index=True)
    state = models.CharField(max_length=16, choices=CaseState.choices, default=CaseState.NEW, db_index=True)
    close_reason = models.CharField(max_length=24, choices=CloseReason.choices, blank=True)
    priority = models.IntegerField(default=0, db_index=True)
    canonical_url = EncryptedTextField(blank=True)
    url_index = models.CharField(max_length=64, null=True, blank=True, unique=True)  # blind index, canonical URL
    host = models.CharField(max_length=253, blank=True, db_index=True)
    registered_domain = models.CharField(max_length=253, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_cases"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    report_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-priority", "created_at"]
        indexes = [models.Index(fields=["state", "-priority", "created_at"], name="case_queue_idx")]

    def __str__(self) -> str:
        return f"Case {self.pk}"
