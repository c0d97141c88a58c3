"""Petitions and their signatures, hand-over exports, and the newsletter (subscribers, issues, deliveries)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from hotline.core.fields import EncryptedTextField


class PetitionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Petition(models.Model):
    """A call to a named recipient, in Swedish and English, that people sign and confirm by email."""

    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    text_sv = models.TextField(_("text (Swedish)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    recipient_sv = models.CharField(_("recipient (Swedish)"), max_length=200)
    recipient_en = models.CharField(_("recipient (English)"), max_length=200, blank=True)
    goal = models.PositiveIntegerField(
        _("goal (signatures)"),
        default=1000,
        validators=[MinValueValidator(1, message=_("The goal must be at least 1 signature."))],
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    state = models.CharField(max_length=10, choices=PetitionState.choices, default=PetitionState.DRAFT)
    # Confirmed, not invalidated signatures. Changed only with F() in the transaction that
    # confirms or invalidates, so it never drifts from the rows (see test_counter_concurrency).
    signature_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    personal_data_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(goal__gte=1),
                name="petition_goal_positive",
                violation_error_message=_("The goal must be at least 1 signature."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/petitions/{self.slug}/"

    def _localised(self, field: str) -> str:
        if self.content_language == "en":
            value = getattr(self, f"{field}_en")
            if value:
                return str(value)
        return str(getattr(self, f"{field}_sv"))

    @property
    def content_language(self) -> str:
        """The language the visitor actually reads (English falls back to Swedish when not translated)."""
        language = translation.get_language() or "sv"
        return "en" if language.startswith("en") and self.title_en and self.text_en else "sv"

    @property
    def title(self) -> str:
        return self._localised("title")

    @property
    def text(self) -> str:
        return self._localised("text")

    @property
    def recipient(self) -> str:
        return self._localised("recipient")

    def accepts_signatures(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.state == PetitionState.OPEN and (self.deadline is None or now < self.deadline)


class SignatureState(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    INVALIDATED = "invalidated", _("Invalidated")


class Signature(models.Model):
    """One person's signature. Counts only when confirmed through the emailed link.

    Name and email are encrypted; `email_index` is a keyed hash of the NORMALISED email for the
    one-signature-per-person rule. When the petition's retention ends, name, email, index and
    domain are blanked and only municipality/country, state and times remain.
    """

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    name = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    email_index = models.CharField(max_length=64, blank=True, db_index=True)
    email_domain = models.CharField(max_length=253, blank=True)
    municipality = models.CharField(max_length=4, blank=True)  # SCB code; "" when abroad
    country = models.CharField(max_length=2, blank=True)  # ISO code when abroad
    language = models.CharField(max_length=8, default="sv")
    keep_informed = models.BooleanField(default=False)
    state = models.CharField(max_length=12, choices=SignatureState.choices, default=SignatureState.PENDING)
    token_salt = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidation = models.ForeignKey(
        "SignatureInvalidation", null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    last_mailed_at = models.DateTimeField(null=True, blank=True)
    mail_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_index"], condition=~Q(email_index=""), name="one_signature_per_email"
            ),
        ]
        indexes = [
            models.Index(fields=["petition", "state"], name="signature_petition_state"),
            models.Index(fields=["petition", "email_domain"], name="signature_petition_domain"),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} ({self.state})"


class SignatureInvalidation(models.Model):
    """A campaigner's decision that a group of signatures (a domain, a time window) are not genuine."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="invalidations")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    domain = models.CharField(max_length=253, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    signatures_invalidated = models.PositiveIntegerField(default=0)
    confirmed_invalidated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]


class ExportKind(models.TextChoices):
    PDF = "pdf", _("PDF for hand-over")
    CSV = "csv", _("CSV (spreadsheet)")


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being made")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted")


class PetitionExport(models.Model):
    """A hand-over file made in the worker; `progress` lets the campaigner watch a large one."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=3, choices=ExportKind.choices)
    language = models.CharField(max_length=8, default="sv")
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    signature_count = models.PositiveIntegerField(default=0)  # the count printed on the title page
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]


class Subscriber(models.Model):
    """A newsletter subscriber: counts as subscribed only when confirmed and not unsubscribed."""

    email = EncryptedTextField()
    email_index = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="sv")
    # The personal link (preferences, unsubscribe) carries this random value; a new one can be made.
    token = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=40, blank=True)  # "form", "petition:<id>", "import"
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["confirmed_at", "unsubscribed_at"], name="subscriber_active")]

    def __str__(self) -> str:
        return f"subscriber {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class IssueState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    STOPPED = "stopped", _("Stopped")  # sending stopped on an error; a campaigner resumes it
    SENT = "sent", _("Sent")


class StopReason(models.TextChoices):
    ERROR = "error", _("An error stopped the sending")
    MAIL_SERVER = "mail_server", _("The mail server did not take mail, attempt after attempt")


class NewsletterIssue(models.Model):
    """One newsletter: subject and Markdown body in Swedish (and optionally English)."""

    subject_sv = models.CharField(_("subject (Swedish)"), max_length=200)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_sv = models.TextField(_("text (Swedish, Markdown)"))
    body_en = models.TextField(_("text (English, Markdown)"), blank=True)
    state = models.CharField(max_length=10, choices=IssueState.choices, default=IssueState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    # When the next batch is due (now, or after a back-off): a sending issue past it with no batch run is
    # shown as stalled, with the same resume action as a stopped one.
    next_batch_at = models.DateTimeField(null=True, blank=True)
    outages = models.PositiveSmallIntegerField(default=0)  # batches in a row that found the mail server down
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=12, choices=StopReason.choices, blank=True)
    stop_error = models.CharField(max_length=100, blank=True)  # the exception's class name, never its text

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A stopped issue always says when and why (no silent failure).
            models.CheckConstraint(
                condition=~Q(state="stopped") | (Q(stopped_at__isnull=False) & ~Q(stop_reason="") & ~Q(stop_error="")),
                name="stopped_issue_says_why",
            )
        ]

    def __str__(self) -> str:
        return self.subject_sv


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped (unsubscribed)")
    FAILED = "failed", _("Failed")


class IssueDelivery(models.Model):
    """Who an issue went to. One row per (issue, subscriber): a retried batch never mails anyone twice."""

    issue = models.ForeignKey(NewsletterIssue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "subscriber"], name="one_delivery_per_subscriber")]
        indexes = [models.Index(fields=["issue", "state"], name="delivery_issue_state")]
