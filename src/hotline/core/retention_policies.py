"""The retention policies of core's own records: rate-limit counters and the audit log (registered in ready())."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hotline.core import audit_archive, conf
from hotline.core.models import RateCounter
from hotline.core.retention import RetentionPolicy, register_policy


def _expired_counters(now: datetime) -> QuerySet[RateCounter]:
    return RateCounter.objects.filter(expires_at__lte=now)


def _delete_counters(ids: list[Any], now: datetime) -> tuple[int, Mapping[str, Any]]:
    deleted, _counts = _expired_counters(now).filter(pk__in=ids).delete()
    return deleted, {"deleted": deleted}


RATE_COUNTERS = RetentionPolicy(
    name="core.rate_counters",
    record_type=_("Rate-limit counters (keyed hashes of networks)"),
    action=_("deleted at the end of their window"),
    setting="",
    unit="minutes",
    period=lambda: 0,
    due=_expired_counters,
    erase=_delete_counters,
    audit_action="retention.rate_counters_deleted",
    order=10,
    fixed=_("at the end of the window (at most an hour)"),
)

AUDIT_LOG = RetentionPolicy(
    name="core.audit_log",
    record_type=_("Audit log entries"),
    action=_("archived to a file and pruned; the chain head and the last archived hash stay"),
    setting="HOTLINE_AUDIT_RETENTION_DAYS",
    unit="days",
    period=conf.audit_retention_days,
    due=audit_archive.due,
    erase=audit_archive.archive_and_prune,
    audit_action="audit.archived",
    order=1000,  # last: the entries of this run's other policies are the newest, never pruned in the same run
)


def register() -> None:
    register_policy(RATE_COUNTERS)
    register_policy(AUDIT_LOG)
