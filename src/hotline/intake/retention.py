"""The retention policies of the intake app's own records: the partner API's Idempotency-Key answers and the
hotline's replies to reporters."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hotline.cases import conf as cases_conf
from hotline.core.retention import RetentionPolicy
from hotline.intake import conf
from hotline.intake.models import HotlineReply, IdempotencyRecord


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


def _due_replies(now: datetime) -> QuerySet[HotlineReply]:
    """Replies to reports whose reporter's texts cases has erased: the reply goes with what it answered."""
    return HotlineReply.objects.filter(report__texts_erased_at__isnull=False)


def _delete_replies(candidates: list[Any], now: datetime) -> tuple[int, Mapping[str, Any]]:
    deleted, _counts = _due_replies(now).filter(pk__in=candidates).delete()
    return deleted, {"deleted": deleted}


HOTLINE_REPLIES = RetentionPolicy(
    name="intake.hotline_replies",
    record_type=_("The hotline's replies to reporters"),
    action=_("deleted with the reporter's texts"),
    setting="HOTLINE_REPORT_TEXT_RETENTION_DAYS",
    unit="days",
    period=cases_conf.report_text_retention_days,
    due=_due_replies,
    erase=_delete_replies,
    audit_action="intake.hotline_replies_deleted",
    order=31,  # right after cases.report_texts (order 30), in the same run
)
