"""Retention of payment indicators and coalition exports (policies of hotline.core.retention, docs/coalition.md).

Both are kept unless HOTLINE_PAYMENT_INDICATOR_RETENTION_DAYS is set. Then an indicator last entered on a case
longer ago than that is deleted with its case links (a newer sighting keeps it: last seen moves with each one),
and an export published longer ago is deleted with its files (members keep their own copies)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from hotline.core.retention import RetentionPolicy
from hotline.intel import payments_conf
from hotline.intel.models import CoalitionExport, PaymentIndicator


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(days=payments_conf.indicator_retention_days() or 0)


def _due_indicators(now: datetime) -> QuerySet[PaymentIndicator]:
    if payments_conf.indicator_retention_days() is None:
        return PaymentIndicator.objects.none()
    return PaymentIndicator.objects.filter(last_seen_at__lte=_cutoff(now))


def _delete_indicators(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    due = _due_indicators(now).filter(pk__in=candidates)
    ids = sorted(due.values_list("pk", flat=True))
    deleted = due.delete()[1].get("intel.PaymentIndicator", 0)
    return deleted, {
        "indicators": deleted,
        "indicator_ids": ids,
        "retention_days": payments_conf.indicator_retention_days(),
    }


def _due_exports(now: datetime) -> QuerySet[CoalitionExport]:
    if payments_conf.indicator_retention_days() is None:
        return CoalitionExport.objects.none()
    return CoalitionExport.objects.filter(published_at__lte=_cutoff(now))


def _delete_exports(candidates: list[int], now: datetime) -> tuple[int, Mapping[str, Any]]:
    due = _due_exports(now).filter(pk__in=candidates)
    numbers = sorted(due.values_list("number", flat=True))
    deleted = due.delete()[1].get("intel.CoalitionExport", 0)
    return deleted, {"exports": deleted, "numbers": numbers, "retention_days": payments_conf.indicator_retention_days()}


PAYMENT_INDICATORS = RetentionPolicy(
    name="intel.payment_indicators",
    record_type=gettext_lazy("Payment indicators and the cases they were seen on"),
    action=gettext_lazy("deleted with their case links"),
    setting="HOTLINE_PAYMENT_INDICATOR_RETENTION_DAYS",
    unit="days",
    period=payments_conf.indicator_retention_days,
    due=_due_indicators,
    erase=_delete_indicators,
    audit_action="payment_indicator.retention_deleted",
    order=60,
)

COALITION_EXPORTS = RetentionPolicy(
    name="intel.coalition_exports",
    record_type=gettext_lazy("Published coalition exports (their files)"),
    action=gettext_lazy("deleted"),
    setting="HOTLINE_PAYMENT_INDICATOR_RETENTION_DAYS",
    unit="days",
    period=payments_conf.indicator_retention_days,
    due=_due_exports,
    erase=_delete_exports,
    audit_action="coalition_export.retention_deleted",
    order=61,
)

POLICIES = (PAYMENT_INDICATORS, COALITION_EXPORTS)
