"""Demo payment indicators for `make run`: three commercial demo cases (reserved names only) with indicators from
the published test vectors, most of them reviewed, and one signed coalition export. Idempotent (audit marker)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hotline.cases.factories import make_assessed_case
from hotline.core import audit
from hotline.core.models import AuditEntry
from hotline.intel import payment_services
from hotline.intel.models import PaymentIndicator
from hotline.intel.payment_errors import CoalitionExportRefused
from hotline.staff.models import StaffUser

MARKER = "payment_indicator.demo_loaded"
# (case number, kind, value, network): the same Bitcoin address and IBAN on several cases show the deduplication.
ENTRIES = [
    (1, "bitcoin", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", ""),  # BIP-173
    (2, "bitcoin", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ""),
    (1, "ethereum", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", ""),  # EIP-55, typed in lower case
    (2, "iban", "BE68 5390 0754 7034", ""),  # the SWIFT registry's Belgian example
    (3, "iban", "be68539007547034", ""),
    (3, "card_scheme", "visa", ""),
    (3, "merchant_descriptor", "Demo Media Services", ""),
    (1, "payment_domain", "https://pay.demo-shop.example.test/checkout", ""),
    (2, "other_crypto", "LTC1QDEMOADDRESSEXAMPLE0000", "Litecoin"),
]
LEFT_OUT = {"card_scheme"}  # a scheme names every Visa merchant: the demo liaison leaves it out


def load(stdout: Any) -> None:
    if AuditEntry.objects.filter(action=MARKER).exists():
        return
    analyst = StaffUser.objects.filter(email="analyst@hotline.example").first()
    liaison = StaffUser.objects.filter(email="coalition@hotline.example").first()
    if analyst is None or liaison is None:
        stdout.write("Payment indicators demo skipped: the demo staff accounts are missing.")
        return
    cases = {
        n: make_assessed_case(host=f"shop{n}.demo-commercial.example.test", path=f"/demo/{n}", commercial=True)
        for n in (1, 2, 3)
    }
    for n, kind, value, network in ENTRIES:
        payment_services.add_case_indicator(case_id=cases[n].pk, kind=kind, value=value, network=network, actor=analyst)
    for indicator in PaymentIndicator.objects.filter(sightings__case__in=cases.values()).distinct():
        decision = "excluded" if indicator.kind in LEFT_OUT else "included"
        if indicator.kind != "other_crypto":  # one stays not reviewed, for the review page
            payment_services.review_indicator(indicator_id=indicator.pk, decision=decision, actor=liaison)
    try:
        number = payment_services.publish_coalition_export(actor=liaison).number
    except CoalitionExportRefused as refused:
        number = 0
        stdout.write(f"Payment indicators demo: no export published ({refused}).")
    with transaction.atomic():
        audit.record(actor="demo_data", action=MARKER, object_type="demo", details={"export": number})
    stdout.write(
        f"Payment indicators demo: {PaymentIndicator.objects.count()} indicators on 3 commercial cases"
        + (f", coalition export {number} signed" if number else "")
        + " (sign in as coalition@hotline.example)."
    )
