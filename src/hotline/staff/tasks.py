"""Periodic upkeep of the staff app: django-axes' sign-in records leave after their retention period. Each task
calls one service (hotline.staff.services), imported in its body."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@periodic(every=timedelta(hours=6))
@task()
def prune_sign_in_records() -> int:
    """Delete staff sign-in records older than HOTLINE_STAFF_SIGN_IN_RECORD_DAYS (services.prune_sign_in_records)."""
    from hotline.staff import services

    return services.prune_sign_in_records()
