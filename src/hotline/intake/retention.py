"""The retention policy of the intake app's own records: the partner API's Idempotency-Key answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hotline.core.retention import RetentionPolicy
from hotline.intake import conf
from hotline.intake.models import IdempotencyRecord


def _hours() -> int:
    return int(conf.idempotency_ttl().total_seconds() // 3600)


def _due(now: datetime) -> QuerySet[IdempotencyRecord]:
    return IdempotencyRecord.objects.filter(created_at__lt=now - conf.idempotency_ttl())


def _delete(candidates: list[Any], now: datetime) -> tuple[int, Mapping[str, Any]]:
    deleted, _counts = _due(now).filter(pk__in=candidates).delete()
    return deleted, {"deleted": deleted, "older_than_hours": _hours()}


IDEMPOTENCY = RetentionPolicy(
    name="intake.idempotency",
    record_type=_("Partner API idempotency answers (report id and status)"),
    action=_("deleted"),
    setting="HOTLINE_IDEMPOTENCY_HOURS",
    unit="hours",
    period=_hours,
    due=_due,
    erase=_delete,
    audit_action="intake.idempotency_records_deleted",
    order=15,
)
