"""Background work of the tracing app: trace one host (retried with backoff), refresh open cases' hosts."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@task(queue_name="trace")
def trace_host(host: str) -> None:
    """Trace the host's queued trace (DNS + RDAP only). Failures re-enqueue this task with run_after.

    The payload is a plain host name (never a URL). Idempotent: with nothing queued it does nothing.
    """
    from hotline.tracing import services

    services.run_trace(host=host)


@periodic(every=timedelta(hours=1))
@task(queue_name="trace")
def refresh_hosting_traces() -> int:
    """Re-trace hosts of open cases whose last trace is older than HOTLINE_TRACE_TTL_HOURS."""
    from hotline.tracing import services

    return services.refresh_stale_traces()
