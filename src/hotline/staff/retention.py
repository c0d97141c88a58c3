"""The retention policies of staff sign-in records (django-axes' tables): successful and failed sign-ins leave after
HOTLINE_STAFF_SIGN_IN_RECORD_DAYS. Registered in StaffConfig.ready(); run by the retention engine."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from hotline.core import conf
from hotline.core.retention import RetentionPolicy


def sign_in_record_days() -> int:
    """HOTLINE_STAFF_SIGN_IN_RECORD_DAYS: days django-axes' records of staff sign-ins (time, account, network,
    user agent) are kept."""
    return conf.integer("HOTLINE_STAFF_SIGN_IN_RECORD_DAYS", 90, minimum=1)


ACCESSORS: tuple[conf.Accessor, ...] = (sign_in_record_days,)


def _policy(model: type[Model], name: str, label: Any, audit_action: str, order: int) -> RetentionPolicy:
    def due(now: datetime) -> QuerySet[Any]:
        return model._default_manager.filter(attempt_time__lt=now - timedelta(days=sign_in_record_days()))

    def erase(candidates: list[Any], now: datetime) -> tuple[int, Mapping[str, Any]]:
        deleted, _counts = due(now).filter(pk__in=candidates).delete()
        return deleted, {"deleted": deleted, "older_than_days": sign_in_record_days()}

    return RetentionPolicy(
        name=name,
        record_type=label,
        action=_("deleted"),
        setting="HOTLINE_STAFF_SIGN_IN_RECORD_DAYS",
        unit="days",
        period=sign_in_record_days,
        due=due,
        erase=erase,
        audit_action=audit_action,
        order=order,
    )


SIGN_INS = _policy(
    AccessLog, "staff.sign_ins", _("Staff sign-in records (account, network, user agent)"),
    "staff.sign_in_records_pruned", 60,
)  # fmt: skip
FAILED_SIGN_INS = _policy(
    AccessFailureLog, "staff.failed_sign_ins", _("Failed staff sign-in attempts"),
    "staff.sign_in_records_pruned", 61,
)  # fmt: skip
