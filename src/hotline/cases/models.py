"""Report (what came in), ReportedUrl (each URL of it), ReportHash (each hash of it), ReporterMessage (added
later with the receipt), Case (one per canonical URL or situation), assessments, the timeline, exposure, and
each host's newest facts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

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
    # A young person's own images, by hashes computed on their device (intake's /report/own-images/).
    OWN_IMAGES = "own_images", _("Own images (hashes only)")


class NexusHint(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Don't know")


# What the public form's "what did you see" choice stores, in words for staff (partners may send free text,
# which is shown as it came).
REPORTER_CLASSIFICATION_LABELS = {
    "child_sexual_abuse": _("Sexual abuse of a child"),
    "child_sexual_posing": _("A child posed in a sexual way"),
    "child_nudity": _("Nude pictures of a child"),
    "not_sure": _("The tipster is not sure"),
}


def reporter_classification_label(value: str) -> str:
    label = REPORTER_CLASSIFICATION_LABELS.get(value)
    return str(label) if label is not None else value


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
    receipt_index = models.CharField(max_length=64, blank=True)  # indexed below
    partner_key = models.ForeignKey(
        "staff.PartnerKey", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    entered_by = models.ForeignKey("staff.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)
    # The reporter's texts were erased when the retention period ran out (services.erase_expired_report_texts).
    texts_erased_at = models.DateTimeField(null=True, blank=True)
    # A report without URL (trafficking, grooming, ...) gets a case of its own, linked here;
    # reports with URLs reach their cases through ReportedUrl.case.
    situation_case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="situation_reports"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # Small: only reports still waiting for triage (the straggler sweep reads it).
            models.Index(fields=["received_at"], condition=models.Q(triaged_at=None), name="report_untriaged_idx"),
            # Receipts are only ever looked up whole: a plain index (db_index=True would add a second,
            # LIKE-only index on PostgreSQL, written for every public report).
            models.Index(fields=["receipt_index"], name="report_receipt_idx"),
        ]

    def __str__(self) -> str:
        return f"Report {self.public_id}"

    @property
    def reporter_classification_label(self) -> str:
        return reporter_classification_label(self.reporter_classification)


class ReportedUrl(models.Model):
    """A URL exactly as reported (encrypted), its blind index, and the case it was attached to."""

    # No index of its own: the unique (report, position) index below starts with report_id.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="urls", db_index=False)
    position = models.PositiveSmallIntegerField(default=0)
    url = EncryptedTextField()
    url_index = models.CharField(max_length=64)  # blind index of the URL as reported (indexed below)
    # Indexed only once set (by triage): a new URL adds no entry to it on the intake hot path.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_urls",
        db_index=False,
    )
    # Why triage could not canonicalise this URL (shown to the analyst; the case stays for a human).
    problem = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["report_id", "position"]
        constraints = [models.UniqueConstraint(fields=["report", "position"], name="reported_url_position_unique")]
        indexes = [
            # A plain index (db_index=True would add a second, LIKE-only index on PostgreSQL).
            models.Index(fields=["url_index"], name="reported_url_index_idx"),
            models.Index(fields=["case"], condition=models.Q(case__isnull=False), name="reported_url_case_idx"),
        ]


class HashKind(models.TextChoices):
    """Kinds of hash a report may carry; every value is stored as lowercase hexadecimal (rules.HASH_HEX_LENGTHS)."""

    SHA256 = "sha256", "SHA-256"
    SHA1 = "sha1", "SHA-1"
    MD5 = "md5", "MD5"
    PDQ = "pdq", "PDQ"


class ReportHash(models.Model):
    """A hash a report carries (e.g. of a reporter's own image, computed on their device; never of media Hotline
    has). Written only by services.store_report_hashes, in the transaction that stores the report."""

    # No index of its own: the unique (report, kind, value) index below starts with report_id.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="hashes", db_index=False)
    kind = models.CharField(max_length=8, choices=HashKind.choices)
    value = models.CharField(max_length=64)  # lowercase hex: 64 digits (sha256, pdq) or 32 (md5)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)  # PDQ's own 0-100 quality; pdq only

    class Meta:
        ordering = ["report_id", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["report", "kind", "value"], name="report_hash_unique"),
            models.CheckConstraint(
                condition=models.Q(quality__isnull=True) | models.Q(kind="pdq", quality__lte=100),
                name="report_hash_quality_pdq_0_100",
            ),
        ]
        # Matching a hash against the reports that carry it (hash lists, recognising a re-report).
        indexes = [models.Index(fields=["kind", "value"], name="report_hash_value_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ReporterMessage(models.Model):
    """Information a reporter added later on the status page (receipt code). Text is encrypted."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reporter_messages")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Bound to the column it was first encrypted for (intake's), so messages stored before the move still read.
    text = EncryptedTextField(context="intake.reportermessage.text")
    read_at = models.DateTimeField(null=True, blank=True)  # set by casework when an analyst has seen it

    class Meta:
        db_table = "intake_reportermessage"  # created by the intake app, which first owned it
        ordering = ["report_id", "received_at", "pk"]


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

    # kind, state, priority, hosting_country and nexus_hint are indexed through the composite queue
    # indexes in Meta (each in queue order), not one by one.
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    state = models.CharField(max_length=16, choices=CaseState.choices, default=CaseState.NEW)
    close_reason = models.CharField(max_length=24, choices=CloseReason.choices, blank=True)
    priority = models.IntegerField(default=0)
    canonical_url = EncryptedTextField(blank=True)
    url_index = models.CharField(max_length=64, null=True, blank=True, unique=True)  # blind index, canonical URL
    host = models.CharField(max_length=253, blank=True, db_index=True)
    registered_domain = models.CharField(max_length=253, blank=True, db_index=True)
    hosting_country = models.CharField(max_length=2, blank=True)  # latest trace, set by tracing
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_cases"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Closed as a duplicate of another case: the link both pages show (this case's "duplicate of", the
    # other's "duplicates").
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates", db_index=True
    )
    report_count = models.PositiveIntegerField(default=0)
    # Bumped by every service that changes the case: forms carry it, so a stale form is refused.
    version = models.PositiveIntegerField(default=0)
    # Duplicates: the channels of its reports as ",api,web," (see rules.add_channel), how many reporters
    # count as independent (one per partner source; each anonymous report counts), the latest report.
    channels = models.CharField(max_length=120, blank=True, default="")
    independent_reporters = models.PositiveIntegerField(default=0)
    last_reported_at = models.DateTimeField(null=True, blank=True)
    # A reporter said the victim / offender / place is in our country ("yes" in any report of the case).
    nexus_hint = models.BooleanField(default=False)  # any of the three (queue filter)
    nexus_victim_hint = models.BooleanField(default=False)
    nexus_offender_hint = models.BooleanField(default=False)
    nexus_place_hint = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)  # first report received, or reopened: age in queue
    # A URL triage could not canonicalise: the reason, for the analyst (the case has no url_index then).
    url_problem = models.CharField(max_length=200, blank=True)
    # Anonymised when its retention period ran out (services.retention): URL, host, texts and notes gone; the
    # verdict, kind, states and times stay for the statistics. A new report of the URL makes a new case.
    erased_at = models.DateTimeField(null=True, blank=True)
    # A report of the case matched a hash list or a known-URL list at triage (set by the app that keeps the
    # lists, through services.record_list_match): urgent signals of the priority rule.
    hash_list_match = models.BooleanField(default=False)
    known_url_match = models.BooleanField(default=False)

    class Meta:
        ordering = ["-priority", "created_at"]
        indexes = [
            models.Index(fields=["state", "-priority", "created_at"], name="case_queue_idx"),
            # The queue filtered by kind, hosting country or nexus hint, still read in queue order.
            models.Index(fields=["kind", "state", "-priority", "created_at"], name="case_queue_kind_idx"),
            models.Index(fields=["hosting_country", "state", "-priority", "created_at"], name="case_queue_country_idx"),
            models.Index(fields=["nexus_hint", "state", "-priority", "created_at"], name="case_queue_nexus_idx"),
            models.Index(fields=["state", "state_changed_at"], name="case_state_age_idx"),
            models.Index(fields=["claimed_by", "claimed_until"], name="case_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def channel_list(self) -> list[str]:
        from hotline.cases.rules import channel_list

        return channel_list(self.channels)

    def claim_holder(self, now: datetime | None = None) -> Any:
        """The analyst holding an unexpired claim, or None."""
        now = now or timezone.now()
        if self.claimed_by_id and self.claimed_until and self.claimed_until > now:
            return self.claimed_by
        return None


class Verdict(models.TextChoices):
    CSAM_BASELINE = "csam_baseline", _("Illegal everywhere (INTERPOL baseline)")
    CSAM_NATIONAL = "csam_national", _("Illegal under national law")
    HARMFUL_NOT_ILLEGAL = "harmful_not_illegal", _("Harmful but not illegal")
    NOT_CSAM = "not_csam", _("Not child sexual abuse material")
    UNREACHABLE = "unreachable", _("Unreachable (gone before assessment)")
    DUPLICATE = "duplicate", _("Duplicate")


class SituationVerdict(models.TextChoices):
    """The short assessment of a situation report sent to the police at once ("contact police now")."""

    CHILD_AT_RISK = "child_at_risk", _("A child is at risk")
    CONCERN = "concern", _("Cause for concern; the police should judge")


class SituationUrgency(models.TextChoices):
    NOW = "now", _("In danger now")
    HOURS = "hours", _("Within hours")
    DAYS = "days", _("Within days")


ILLEGAL_VERDICTS = frozenset({Verdict.CSAM_BASELINE, Verdict.CSAM_NATIONAL})


class MediaType(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text")
    LIVE_STREAM = "live_stream", _("Live stream")


class VictimAgeGroup(models.TextChoices):
    INFANT_TODDLER = "infant_toddler", _("Infant or toddler")
    PREPUBESCENT = "prepubescent", _("Pre-pubescent")
    PUBESCENT = "pubescent", _("Pubescent")
    UNKNOWN = "unknown", _("Cannot tell")


class VictimGender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    BOTH = "both", _("Both")
    UNKNOWN = "unknown", _("Cannot tell")


class SiteType(models.TextChoices):
    IMAGE_HOST = "image_host", _("Image host")
    FILE_HOST = "file_host", _("File host")
    FORUM = "forum", _("Forum")
    SOCIAL_NETWORK = "social_network", _("Social network")
    WEBSITE = "website", _("Website")
    BLOG = "blog", _("Blog")
    VIDEO_PLATFORM = "video_platform", _("Video platform")
    CHAT = "chat", _("Chat")
    P2P = "p2p", _("Peer-to-peer")
    SEARCH_RESULT = "search_result", _("Search result")
    REDIRECTOR = "redirector", _("Redirector")
    OTHER = "other", _("Other")


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
    payment_indicators = EncryptedTextField(blank=True)  # what the analyst saw of payment (commercial sites)
    review_note = EncryptedTextField(blank=True)  # the four-eyes reviewer's reason when sending it back

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


class CaseNote(models.Model):
    """An analyst's note on a case (encrypted; the timeline event holds only its id)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("staff.StaffUser", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    text = EncryptedTextField()

    class Meta:
        ordering = ["created_at", "pk"]


class ExposureSession(models.Model):
    """Time an analyst spent on an assessment page (welfare: exposure per day). Open while ended_at is null."""

    analyst = models.ForeignKey("staff.StaffUser", on_delete=models.CASCADE, related_name="exposure_sessions")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["analyst", "started_at"], name="exposure_analyst_day_idx")]


class HostFacts(models.Model):
    """The newest hosting facts of a host: what the newest trace that found its addresses saw. Referrals act on
    them (where a notice goes, which partner hotline). Written only by services.record_host_facts, which
    tracing calls in the transaction that stores a trace's outcome; one row per host (as tracing names it)."""

    host = models.CharField(max_length=253, unique=True)
    country = models.CharField(max_length=2, blank=True)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    network_name = models.CharField(max_length=255, blank=True)
    abuse_email = models.CharField(max_length=254, blank=True)
    holder = models.CharField(max_length=255, blank=True)
    cdn_name = models.CharField(max_length=100, blank=True)
    origin_hidden = models.BooleanField(default=False)  # the addresses are a CDN's: its abuse contact is the one
    ips = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=40, blank=True)  # e.g. "dns+mmdb+rdap"
    found_at = models.DateTimeField()
    trace_id = models.BigIntegerField(null=True, blank=True)  # the trace that found them (tracing's id)

    class Meta:
        verbose_name_plural = "host facts"
