"""Bookkeeping of the scheduler: when each periodic job was last enqueued."""

from django.db import models


class ScheduledRun(models.Model):
    name = models.CharField(max_length=120, unique=True)
    last_enqueued_at = models.DateTimeField()


class RateCounter(models.Model):
    """A short-lived counter of a rate limit, keyed by a keyed hash (never an address).

    One atomic upsert per event (hotline.core.ratelimit.count_event); rows expire with their window
    and are purged by a periodic job. Shared by every web and worker process.
    """

    key = models.CharField(max_length=96, primary_key=True)
    count = models.IntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)
