"""Payment indicators seen on commercial cases, the cases they were seen on, and the signed exports of the
reviewed ones for the Financial Coalition (docs/coalition.md). The normal form comes from intel.core.payments."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.intel.core.payments import IndicatorKind


class PaymentIndicatorKind(models.TextChoices):
    # The same values as the library core's IndicatorKind (a test holds the two together).
    BITCOIN = IndicatorKind.BITCOIN.value, _("Bitcoin address")
    ETHEREUM = IndicatorKind.ETHEREUM.value, _("Ethereum address")
    MONERO = IndicatorKind.MONERO.value, _("Monero address")
    OTHER_CRYPTO = IndicatorKind.OTHER_CRYPTO.value, _("Address of another cryptocurrency")
    IBAN = IndicatorKind.IBAN.value, _("Bank account (IBAN)")
    CARD_SCHEME = IndicatorKind.CARD_SCHEME.value, _("Card scheme")
    MERCHANT_DESCRIPTOR = IndicatorKind.MERCHANT_DESCRIPTOR.value, _("Merchant descriptor")
    PAYMENT_PROVIDER = IndicatorKind.PAYMENT_PROVIDER.value, _("Payment provider")
    PAYMENT_DOMAIN = IndicatorKind.PAYMENT_DOMAIN.value, _("Payment page domain")


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Not reviewed")
    INCLUDED = "included", _("In the coalition export")
    EXCLUDED = "excluded", _("Left out of the coalition export")


class PaymentIndicator(models.Model):
    """One payment indicator, however many cases it was seen on: (kind, key) is the normal form's identity."""

    kind = models.CharField(max_length=24, choices=PaymentIndicatorKind.choices)
    value = models.CharField(max_length=300)  # the normal form, stored and exported
    key = models.CharField(max_length=320)  # what deduplicates (e.g. an Ethereum address in lower case)
    display = models.CharField(max_length=300)  # shown to people (an IBAN in groups of four)
    network = models.CharField(max_length=50, blank=True)  # mainnet / testnet; the named network of other crypto
    subtype = models.CharField(max_length=24, blank=True)  # p2wpkh, integrated, the IBAN's country, ...
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    case_count = models.PositiveIntegerField(default=0)  # cases it is linked to now (kept by the services)
    review_state = models.CharField(max_length=12, choices=ReviewState.choices, default=ReviewState.PENDING)
    reviewed_by = models.ForeignKey(
        "staff.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="intel_payment_indicator_kind_key")]
        indexes = [models.Index(fields=["review_state", "kind"], name="intel_payind_review")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.display}"


class PaymentIndicatorSighting(models.Model):
    """An indicator seen on a case: by whom and when (the first time it was entered on that case; entering it
    again on the same case moves `last_seen_at`)."""

    indicator = models.ForeignKey(PaymentIndicator, on_delete=models.CASCADE, related_name="sightings")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="payment_sightings")
    entered_by = models.ForeignKey("staff.StaffUser", null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "case"], name="intel_payment_sighting_indicator_case")
        ]
        indexes = [models.Index(fields=["case", "entered_at"], name="intel_paysight_case")]


class CoalitionExport(models.Model):
    """One published export: the included indicators at that moment, as CSV and JSON, each with its SHA-256 and
    its detached Ed25519 signature. Kept whole (the files are small and must stay the bytes that were signed)."""

    number = models.PositiveIntegerField(unique=True)  # 1, 2, 3 ...: members see whether they missed one
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey("staff.StaffUser", null=True, on_delete=models.SET_NULL, related_name="+")
    indicator_count = models.PositiveIntegerField()
    csv_content = models.BinaryField()
    json_content = models.BinaryField()
    csv_sha256 = models.CharField(max_length=64)
    json_sha256 = models.CharField(max_length=64)
    csv_signature = models.BinaryField()  # 64 raw bytes: what `openssl pkeyutl -verify -sigfile` reads
    json_signature = models.BinaryField()
    key_id = models.CharField(max_length=64)  # SHA-256 of the raw public key, hex
    public_key_pem = models.TextField()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"coalition export {self.number}"
