"""Every write of the payment indicators: entering one on a case, taking it off again, the coalition liaison's
review, publishing a signed coalition export and recording its downloads. Each is audited in its own transaction
(audit details hold ids and facts, never an indicator's value)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.cases.models import Case
from hotline.cases.selectors import current_assessment
from hotline.cases.services import record_case_event
from hotline.core import audit
from hotline.intel import coalition_keys, payment_rules, payment_selectors
from hotline.intel.core.errors import InvalidIndicator
from hotline.intel.core.payments import Indicator, IndicatorKind, monero_standard_address, normalise_indicator
from hotline.intel.models import CoalitionExport, PaymentIndicator, PaymentIndicatorSighting, ReviewState
from hotline.intel.payment_errors import (
    CoalitionExportRefused,
    PaymentIndicatorError,
    PaymentIndicatorNotFound,
    indicator_message,
)
from hotline.staff.models import StaffUser

CASE_EVENT_KIND = "payment_indicator"  # on the case's timeline (labels: payments_setup.timeline_labels)
NETWORK_MAX_LENGTH = 50


@dataclass(frozen=True)
class Entered:
    indicator: PaymentIndicator
    sighting: PaymentIndicatorSighting
    new_indicator: bool  # never seen on any case before
    new_on_case: bool  # False: it was already recorded on this case (only its last-seen time moved)


def validate_indicator(*, kind: str, value: str, network: str = "") -> Indicator:
    """The normal form of what was typed, or PaymentIndicatorError with a message in the request's language."""
    network = (network or "").strip()
    if kind == IndicatorKind.OTHER_CRYPTO and not network:
        raise PaymentIndicatorError(_("Name the network (the cryptocurrency) of this address, e.g. Litecoin."))
    if kind == IndicatorKind.OTHER_CRYPTO and len(network) > NETWORK_MAX_LENGTH:
        raise PaymentIndicatorError(
            _("The network's name is longer than %(limit)s characters.") % {"limit": NETWORK_MAX_LENGTH}
        )
    if kind != IndicatorKind.OTHER_CRYPTO and network:
        raise PaymentIndicatorError(_("Only an address of another cryptocurrency takes a network."))
    try:
        indicator = normalise_indicator(kind, value, network=network or None)
    except InvalidIndicator as error:
        raise PaymentIndicatorError(indicator_message(error)) from None
    if indicator.kind is IndicatorKind.MONERO and indicator.subtype == "integrated":
        # An integrated address is the wallet's standard address plus one payment's ID: sites hand out a new one
        # per buyer, so the wallet (what an exchange can act on) is the indicator, and the buyer's ID is dropped.
        standard = monero_standard_address(indicator)
        indicator = replace(indicator, value=standard, key=standard, display=standard, subtype="standard")
    if not payment_rules.may_be_exported(
        kind=indicator.kind, value=indicator.value, network=indicator.network, subtype=indicator.subtype
    ):
        raise PaymentIndicatorError(
            _(
                "This looks like a web address. Enter only the payment detail itself; for the payment page, "
                "choose 'Payment page domain' and enter its domain."
            )
        )
    return indicator


def _commercial_case(case_id: int) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise PaymentIndicatorNotFound(_("No such case."))
    assessment = current_assessment(case)
    if assessment is None or not assessment.commercial:
        raise PaymentIndicatorError(
            _("Payment indicators are recorded on commercial cases: assess the case as commercial first.")
        )
    return case


def _recount(indicator: PaymentIndicator) -> None:
    indicator.case_count = PaymentIndicatorSighting.objects.filter(indicator=indicator).count()


def add_case_indicator(*, case_id: int, kind: str, value: str, network: str = "", actor: StaffUser) -> Entered:
    """Record an indicator seen on a commercial case: validated and normalised, the same indicator across cases
    (kind and key) is one row whose first/last seen and case count move; entering it again on the same case is
    no error (its last-seen time moves)."""
    normal = validate_indicator(kind=kind, value=value, network=network)
    now = timezone.now()
    with transaction.atomic():
        case = _commercial_case(case_id)
        indicator, new_indicator = _indicator_row(normal, now)
        sighting, new_on_case = PaymentIndicatorSighting.objects.get_or_create(
            indicator=indicator, case=case, defaults={"entered_by": actor, "entered_at": now, "last_seen_at": now}
        )
        if not new_on_case:
            sighting.last_seen_at = now
            sighting.save(update_fields=["last_seen_at"])
        indicator.last_seen_at = max(indicator.last_seen_at, now)
        _recount(indicator)
        indicator.save(update_fields=["last_seen_at", "case_count"])
        audit.record(
            actor=actor,
            action="payment_indicator.added" if new_on_case else "payment_indicator.seen_again",
            object_type="payment_indicator",
            object_id=indicator.pk,
            details={"case_id": case.pk, "kind": indicator.kind, "new_indicator": new_indicator},
        )
        record_case_event(
            case_id=case.pk,
            kind=CASE_EVENT_KIND,
            actor=actor,
            at=now,
            details={"action": "added" if new_on_case else "seen_again", "indicator_id": indicator.pk},
        )
    return Entered(indicator, sighting, new_indicator, new_on_case)


def _indicator_row(normal: Indicator, now: datetime) -> tuple[PaymentIndicator, bool]:
    """The row of (kind, key), locked, created if new. Two analysts entering the same new indicator at once: the
    second insert fails on the unique constraint inside its savepoint and reads the first one's row."""
    existing = PaymentIndicator.objects.select_for_update().filter(kind=normal.kind, key=normal.key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = PaymentIndicator.objects.create(
                kind=normal.kind,
                value=normal.value,
                key=normal.key,
                display=normal.display,
                network=normal.network,
                subtype=normal.subtype,
                first_seen_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        return PaymentIndicator.objects.select_for_update().get(kind=normal.kind, key=normal.key), False
    return created, True


def remove_case_indicator(*, case_id: int, indicator_id: int, actor: StaffUser) -> PaymentIndicator:
    """Take an indicator off a case where it was entered by mistake. The indicator stays (with its other cases);
    with no case left it is no longer exported."""
    with transaction.atomic():
        sighting = (
            PaymentIndicatorSighting.objects.select_for_update()
            .filter(case_id=case_id, indicator_id=indicator_id)
            .first()
        )
        if sighting is None:
            raise PaymentIndicatorNotFound(_("This indicator is not recorded on this case."))
        indicator = PaymentIndicator.objects.select_for_update().get(pk=indicator_id)
        sighting.delete()
        _recount(indicator)
        indicator.save(update_fields=["case_count"])
        audit.record(
            actor=actor,
            action="payment_indicator.removed_from_case",
            object_type="payment_indicator",
            object_id=indicator.pk,
            details={"case_id": case_id, "kind": indicator.kind, "cases_left": indicator.case_count},
        )
        record_case_event(
            case_id=case_id,
            kind=CASE_EVENT_KIND,
            actor=actor,
            details={"action": "removed", "indicator_id": indicator.pk},
        )
    return indicator


def review_indicator(*, indicator_id: int, decision: str, actor: StaffUser) -> PaymentIndicator:
    """The coalition liaison's decision: in the export, left out, or back to not reviewed."""
    if decision not in ReviewState.values:
        raise PaymentIndicatorError(_("Choose whether the indicator goes into the coalition export."))
    with transaction.atomic():
        indicator = PaymentIndicator.objects.select_for_update().filter(pk=indicator_id).first()
        if indicator is None:
            raise PaymentIndicatorNotFound(_("No such payment indicator."))
        before = indicator.review_state
        indicator.review_state = decision
        indicator.reviewed_by = actor if decision != ReviewState.PENDING else None
        indicator.reviewed_at = timezone.now() if decision != ReviewState.PENDING else None
        indicator.save(update_fields=["review_state", "reviewed_by", "reviewed_at"])
        audit.record(
            actor=actor,
            action="payment_indicator.reviewed",
            object_type="payment_indicator",
            object_id=indicator.pk,
            details={"from": before, "to": decision, "kind": indicator.kind},
        )
    return indicator


def publish_coalition_export(*, actor: StaffUser) -> CoalitionExport:
    """A new numbered export of every included indicator that is on at least one case, as CSV and JSON, each
    with its SHA-256 and detached Ed25519 signature. Refused without a usable key or with nothing to export."""
    try:
        key = coalition_keys.signing_key(create=True)
    except coalition_keys.CoalitionKeyError:
        raise CoalitionExportRefused(
            _(
                "The coalition signing key is missing or readable by others: an administrator must create it "
                "with 'manage.py coalition_key' (docs/coalition.md). Nothing was published."
            )
        ) from None
    with transaction.atomic():
        rows = payment_rules.rows_for_export(payment_selectors.export_rows())
        if not rows:
            raise CoalitionExportRefused(
                _("No indicator is included in the coalition export yet: review the indicators first.")
            )
        # Locking the latest export serialises publishers; the unique number catches the very first two.
        latest = CoalitionExport.objects.select_for_update().order_by("-number").first()
        last = latest.number if latest else 0
        now = timezone.now().replace(microsecond=0)
        header = payment_rules.ExportHeader(
            number=last + 1, published_at=now, publisher=settings.HOTLINE_ORGANISATION, key_id=key.key_id
        )
        csv_bytes = payment_rules.render_csv(rows)
        json_bytes = payment_rules.render_json(header, rows)
        try:
            with transaction.atomic():
                export = _store_export(header, actor, rows, csv_bytes, json_bytes, key)
        except IntegrityError:
            raise CoalitionExportRefused(
                _("Another export was published at the same moment. Reload the page to see it.")
            ) from None
        audit.record(
            actor=actor,
            action="coalition_export.published",
            object_type="coalition_export",
            object_id=export.pk,
            details={
                "number": export.number,
                "indicators": export.indicator_count,
                "csv_sha256": export.csv_sha256,
                "json_sha256": export.json_sha256,
                "key_id": export.key_id,
            },
        )
    return export


def _store_export(
    header: payment_rules.ExportHeader,
    actor: StaffUser,
    rows: list[payment_rules.ExportRow],
    csv_bytes: bytes,
    json_bytes: bytes,
    key: coalition_keys.SigningKey,
) -> CoalitionExport:
    return CoalitionExport.objects.create(
        number=header.number,
        published_at=header.published_at,
        published_by=actor,
        indicator_count=len(rows),
        csv_content=csv_bytes,
        json_content=json_bytes,
        csv_sha256=hashlib.sha256(csv_bytes).hexdigest(),
        json_sha256=hashlib.sha256(json_bytes).hexdigest(),
        csv_signature=key.sign(csv_bytes),
        json_signature=key.sign(json_bytes),
        key_id=key.key_id,
        public_key_pem=key.public_pem,
    )


def record_export_download(*, export: CoalitionExport, part: str, actor: StaffUser) -> None:
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="coalition_export.downloaded",
            object_type="coalition_export",
            object_id=export.pk,
            details={"number": export.number, "part": part},
        )
