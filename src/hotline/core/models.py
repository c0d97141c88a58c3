"""Bookkeeping of the scheduler: when each periodic job was last enqueued."""

from django.db import models


class ScheduledRun(models.Model):
    name = models.CharField(max_length=120, unique=True)
    last_enqueued_at = models.DateTimeField()
