"""Partner hotlines, referrals (police, partner hotline, notice to host), delivery attempts, removal times."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.core.fields import EncryptedTextField


class PartnerChannel(models.TextChoices):
    """How referrals reach a partner hotline: signed messages of the hotline network, or email."""

    NETWORK = "network", _("Hotline network (signed messages)")
    EMAIL = "email", _("Email")


class PartnerHotline(models.Model):
    """A hotline abroad (INHOPE member) and the countries it covers: the one registry of partner hotlines.

    Routing (referrals) and the hotline network (network) read the same row: the network app adds the pinned
    keys (network.PinnedKey) and its messages, never a second list of partners. A partner that runs Hotline
    (or another implementation of docs/network-protocol.md) has a code and a base URL and channel `network`;
    one that does not keeps channel `email` and its referral address."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    # The partner's hotline code in the network (e.g. NL-EOKM); empty for partners reached by email only.
    code = models.CharField(_("hotline code"), max_length=32, null=True, blank=True, unique=True)
    countries = models.CharField(_("countries"), max_length=200, help_text=_("ISO country codes, e.g. NL,BE"))
    referral_email = models.EmailField(_("address for referrals"), blank=True)
    base_url = models.CharField(_("base URL"), max_length=300, blank=True)
    channel = models.CharField(
        _("delivery channel"), max_length=8, choices=PartnerChannel.choices, default=PartnerChannel.EMAIL
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    active = models.BooleanField(_("active"), default=True)
    # The last verified message from the partner, or our last acknowledged delivery to it.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=PartnerChannel.values), name="partner_hotline_channel_valid"
            ),
            # A partner reached by email has an address; one reached by the network has a code and a base URL.
            models.CheckConstraint(
                condition=~Q(channel=PartnerChannel.EMAIL) | ~Q(referral_email=""), name="partner_email_has_address"
            ),
            models.CheckConstraint(
                condition=~Q(channel=PartnerChannel.NETWORK) | (Q(code__isnull=False) & ~Q(code="") & ~Q(base_url="")),
                name="partner_network_has_code_and_url",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def country_codes(self) -> list[str]:
        return [c.strip().upper() for c in self.countries.split(",") if c.strip()]


class Target(models.TextChoices):
    POLICE = "police", _("Police")
    PARTNER_HOTLINE = "partner_hotline", _("Partner hotline")
    HOST_NOTICE = "host_notice", _("Notice to the host")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    DOWNLOAD = "download", _("Download by police liaison")
    NETWORK = "network", _("Hotline network (signed messages)")


class ReferralState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    FAILED = "failed", _("Delivery failed")
    CONTENT_REMOVED = "content_removed", _("Content removed")
    NOT_REMOVED = "not_removed", _("Not removed")


FINAL_STATES = frozenset({ReferralState.CONTENT_REMOVED, ReferralState.NOT_REMOVED})
SENT_STATES = frozenset({ReferralState.SENT, ReferralState.DELIVERED, ReferralState.ACKNOWLEDGED})


class RemovalMethod(models.TextChoices):
    REPORTED_BY_HOST = "reported_by_host", _("Reported by the host")
    REPORTED_BY_PARTNER = "reported_by_partner", _("Reported by the partner hotline")
    REPORTED_BY_POLICE = "reported_by_police", _("Reported by the police")
    DNS_GONE = "dns_gone", _("The domain no longer resolves (DNS)")
    CHECKED_BY_ANALYST = "checked_by_analyst", _("Checked by an analyst in the secure environment")


class AckEvidence(models.TextChoices):
    """How an acknowledgement was received. Bounces and auto-replies are never acknowledgements."""

    HUMAN_REPLY = "human_reply", _("A reply written by a person")
    PHONE = "phone", _("Phone call")
    PARTNER_SYSTEM = "partner_system", _("Confirmed in the partner's system")
    POLICE_RECEIPT = "police_receipt", _("Receipt from the police")


class Referral(models.Model):
    """One referral of a case to one recipient, with its delivery state and a timestamp per state."""

    reference = models.CharField(max_length=32, unique=True)  # given to the recipient; random, not the case id
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals")
    target = models.CharField(max_length=20, choices=Target.choices)
    target_key = models.CharField(max_length=80)  # "police", "host_notice", "partner_hotline:<id>"
    partner = models.ForeignKey(
        PartnerHotline, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    recipient_email = models.EmailField(blank=True)  # an organisation's abuse or referral address
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_country = models.CharField(max_length=2, blank=True)
    channel = models.CharField(max_length=12, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL)
    language = models.CharField(max_length=8, default="en")
    state = models.CharField(max_length=16, choices=ReferralState.choices, default=ReferralState.PLANNED)
    rule = models.CharField(max_length=80, blank=True)
    reason = models.TextField(blank=True)  # the plan's reason, as shown to the analyst
    adjusted = models.BooleanField(default=False)  # the analyst departed from the proposed plan
    adjust_reason = EncryptedTextField(blank=True)
    # A forward over the hotline network carries the reporters' descriptions only when the analyst chose so.
    share_description = models.BooleanField(default=False)
    created_by = models.ForeignKey("staff.StaffUser", null=True, on_delete=models.PROTECT, related_name="+")
    # A notice to a host at home can wait until the police clear it (HOTLINE_REFERRAL_POLICY).
    awaiting_clearance = models.BooleanField(default=False)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # One timestamp per state.
    planned_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)  # first accepted by the mail server / made available
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ack_evidence = models.CharField(max_length=20, choices=AckEvidence.choices, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    content_removed_at = models.DateTimeField(null=True, blank=True)
    removal_method = models.CharField(max_length=24, choices=RemovalMethod.choices, blank=True)
    not_removed_at = models.DateTimeField(null=True, blank=True)
    not_removed_reason = EncryptedTextField(blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    # Delivery bookkeeping.
    attempts = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)  # consecutive failed attempts
    last_error = models.TextField(blank=True)  # the latest attempt's error; empty after a success
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)  # also the worker's lease
    notice_count = models.PositiveIntegerField(default=0)
    last_notice_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalation_mailed_at = models.DateTimeField(null=True, blank=True)
    reply_received_at = models.DateTimeField(null=True, blank=True)
    xarf_report_id = models.CharField(max_length=36, blank=True)
    # Police package: ZIP of summary PDF + case JSON, encrypted at rest; SHA-256 also in the audit log.
    package = EncryptedTextField(blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "planned_at", "pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="referral_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ReferralState.values), name="referral_state_valid"),
            models.CheckConstraint(condition=Q(target__in=Target.values), name="referral_target_valid"),
            # A failed delivery always carries its error and time ...
            models.CheckConstraint(
                condition=~Q(state=ReferralState.FAILED) | (~Q(last_error="") & Q(failed_at__isnull=False)),
                name="referral_failed_has_error",
            ),
            # ... and a referral can only look sent when it was sent and its latest attempt did not fail.
            models.CheckConstraint(
                condition=~Q(state__in=sorted(SENT_STATES)) | (Q(sent_at__isnull=False) & Q(last_error="")),
                name="referral_sent_is_clean",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.PLANNED) | Q(sent_at__isnull=True), name="referral_planned_unsent"
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.DELIVERED) | Q(delivered_at__isnull=False),
                name="referral_delivered_at",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.ACKNOWLEDGED) | Q(acknowledged_at__isnull=False),
                name="referral_acknowledged_at",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.CONTENT_REMOVED) | Q(content_removed_at__isnull=False),
                name="referral_removed_at",
            ),
            models.CheckConstraint(
                condition=~Q(state=ReferralState.NOT_REMOVED) | Q(not_removed_at__isnull=False),
                name="referral_not_removed_at",
            ),
            models.CheckConstraint(
                condition=~Q(target=Target.PARTNER_HOTLINE) | Q(partner__isnull=False),
                name="referral_partner_has_partner",
            ),
            # One open referral per recipient and case.
            models.UniqueConstraint(
                fields=["case", "target_key"],
                condition=~Q(state__in=[ReferralState.CONTENT_REMOVED, ReferralState.NOT_REMOVED]),
                name="referral_one_open_per_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.reference}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def looks_sent(self) -> bool:
        return self.state in SENT_STATES


class AttemptKind(models.TextChoices):
    INITIAL = "initial", _("First delivery")
    RETRY = "retry", _("Retry")
    REMINDER = "reminder", _("Repeated notice")
    PACKAGE = "package", _("Package made available")


class DeliveryAttempt(models.Model):
    """One try to hand a referral over. A failed try always has its error; a successful one has none."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=AttemptKind.choices)
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    smtp_code = models.PositiveIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True, db_index=True)  # to match replies
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["referral_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "number"], name="delivery_attempt_number_unique"),
            models.CheckConstraint(
                condition=(Q(ok=True) & Q(error="")) | (Q(ok=False) & ~Q(error="")),
                name="delivery_attempt_ok_xor_error",
            ),
        ]


class ReferralTiming(models.Model):
    """Per case, for statistics: report -> police referral, first notice -> removal (seconds)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="referral_timing")
    hosting_country = models.CharField(max_length=2, blank=True, db_index=True)
    first_report_at = models.DateTimeField(null=True, blank=True)
    police_referred_at = models.DateTimeField(null=True, blank=True)
    report_to_police_seconds = models.BigIntegerField(null=True, blank=True)
    first_notice_at = models.DateTimeField(null=True, blank=True)  # first notice to host or partner hotline
    first_notice_target = models.CharField(max_length=20, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    removal_method = models.CharField(max_length=24, choices=RemovalMethod.choices, blank=True)
    notice_to_removal_seconds = models.BigIntegerField(null=True, blank=True)
    report_to_removal_seconds = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(report_to_police_seconds__isnull=True) | Q(report_to_police_seconds__gte=0),
                name="timing_police_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(notice_to_removal_seconds__isnull=True) | Q(notice_to_removal_seconds__gte=0),
                name="timing_removal_nonnegative",
            ),
        ]
