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
    # A report without URL (trafficking, grooming, ...) gets a case of its own, linked here;
    # reports with URLs reach their cases through ReportedUrl.case.
    situation_case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="situation_reports"
    )

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
    hosting_country = models.CharField(max_length=2, blank=True, db_index=True)  # latest trace, set by tracing
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


class Verdict(models.TextChoices):
    CSAM_BASELINE = "csam_baseline", _("Illegal everywhere (INTERPOL baseline)")
    CSAM_NATIONAL = "csam_national", _("Illegal under national law")
    HARMFUL_NOT_ILLEGAL = "harmful_not_illegal", _("Harmful but not illegal")
    NOT_CSAM = "not_csam", _("Not child sexual abuse material")
    UNREACHABLE = "unreachable", _("Unreachable (gone before assessment)")
    DUPLICATE = "duplicate", _("Duplicate")


ILLEGAL_VERDICTS = frozenset({Verdict.CSAM_BASELINE, Verdict.CSAM_NATIONAL})


class AssessmentStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    AWAITING_REVIEW = "awaiting_review", _("Waiting for four-eyes review")
    REJECTED = "rejected", _("Sent back by reviewer")
    SUPERSEDED = "superseded", _("Replaced by a reassessment")


class Assessment(models.Model):
    """What an analyst recorded about a case. Never edited: a reassessment adds a new row."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    analyst = models.ForeignKey("staff.StaffUser", on_delete=models.PROTECT, related_name="assessments")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.CONFIRMED)
    reviewed_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="reviewed_assessments"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    media_types = models.JSONField(default=list, blank=True)  # ["image", "video", "text", "live_stream"]
    image_count = models.PositiveIntegerField(null=True, blank=True)
    video_count = models.PositiveIntegerField(null=True, blank=True)
    victim_age_group = models.CharField(max_length=24, blank=True)  # infant_toddler, prepubescent, pubescent
    victim_gender = models.CharField(max_length=16, blank=True)  # female, male, both, unknown
    site_type = models.CharField(max_length=24, blank=True)
    commercial = models.BooleanField(default=False)
    nexus_server = models.BooleanField(default=False)
    nexus_victim = models.BooleanField(default=False)
    nexus_offender = models.BooleanField(default=False)
    reasoning = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["case", "status"], name="assessment_case_status_idx")]

    @property
    def is_illegal(self) -> bool:
        return self.verdict in ILLEGAL_VERDICTS

    @property
    def has_national_nexus(self) -> bool:
        return self.nexus_server or self.nexus_victim or self.nexus_offender


class CaseEvent(models.Model):
    """The case timeline: transitions, reports attached, assessments, referrals, notes (no plain URLs)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey("staff.StaffUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)  # e.g. "transition", "report_attached", "assessment", "referral", "note"
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
