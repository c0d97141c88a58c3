"""Prometheus metrics (/metrics): what each process counts (requests by view and status, task runs), the sums of
those counts over every process, and the text exposition with the figures each app registers.

Granian runs several web workers, a worker runs apart, and a larger installation runs both on several machines,
so a counter of one process means little. Each process counts in memory (a dictionary increment per request)
and adds its counts to one database table (`core.MetricCount`) at most every FLUSH_SECONDS, after a response
has been sent; a scrape reads the table. So every web process, on any machine, answers with the counts of all
of them, the counters survive restarts, and no file is shared between processes. A process killed with -9
loses the counts of its last few seconds; nothing else depends on them.

Nothing is counted while HOTLINE_METRICS_TOKEN is unset (then /metrics answers 404). Labels are fixed words of
the code: resolved URL names (never a path), status codes, task paths, channels, states. The cost on the public
form POST is measured by bench/metrics.py; tests in core/tests/test_metrics.py.
"""

from __future__ import annotations

import bisect
import json
import logging
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse

from hotline.core import conf, registry

logger = logging.getLogger("hotline.metrics")

FLUSH_SECONDS = 10.0  # how long a process keeps its counts before adding them to the table
RETRY_SECONDS = 60.0  # after a failed write (database away), the next try


@dataclass(frozen=True)
class Counter:
    name: str  # without _total: the exposition adds it
    help: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Histogram:
    name: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]  # upper bounds, ascending; +Inf is added


REQUESTS = Counter("hotline_http_requests", "HTTP requests answered, by URL name and status.", ("view", "status"))
REQUEST_SECONDS = Histogram(
    "hotline_http_request_duration_seconds",
    "Time to answer an HTTP request inside Django, by URL name.",
    ("view",),
    (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
TASK_RUNS = Counter("hotline_task_runs", "Background task runs finished, by task and outcome.", ("task", "outcome"))
TASK_WAIT_SECONDS = Histogram(
    "hotline_task_wait_seconds",
    "Time from when a task was due (queued, or its retry time) to when a worker started it, by task.",
    ("task",),
    (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
TASK_RUN_SECONDS = Histogram(
    "hotline_task_run_seconds",
    "Time a background task ran, by task.",
    ("task",),
    (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0),
)
STORED: tuple[Counter | Histogram, ...] = (REQUESTS, REQUEST_SECONDS, TASK_RUNS, TASK_WAIT_SECONDS, TASK_RUN_SECONDS)
UNRESOLVED = "unresolved"  # the view label of a request no URL pattern matched (the path is never a label)


def enabled() -> bool:
    return bool(conf.metrics_token())


# --- counting in this process ----------------------------------------------------------------------
class Tally:
    """This process's counts since its last flush: {(row name, label values): amount}.

    A histogram is kept as one row per bucket (not cumulative: each observation adds to one row) plus a
    row of the sum of the observed values; the exposition adds the buckets up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, tuple[str, ...]], float] = {}
        self._next_flush = time.monotonic() + FLUSH_SECONDS

    def count(self, counter: Counter, labels: tuple[str, ...], amount: float = 1.0) -> None:
        key = (counter.name, labels)
        with self._lock:
            self._pending[key] = self._pending.get(key, 0.0) + amount

    def observe(self, histogram: Histogram, labels: tuple[str, ...], value: float) -> None:
        bucket = bisect.bisect_left(histogram.buckets, value)  # == len(buckets): the +Inf bucket
        bucket_key = (f"{histogram.name}:{bucket}", labels)
        sum_key = (f"{histogram.name}:sum", labels)
        with self._lock:
            pending = self._pending
            pending[bucket_key] = pending.get(bucket_key, 0.0) + 1.0
            pending[sum_key] = pending.get(sum_key, 0.0) + value

    def request(self, view: str, status: int, seconds: float) -> None:
        """One answered request: the hot path (a few dictionary updates under an uncontended lock)."""
        status_key = (REQUESTS.name, (view, str(status)))
        bucket_key = (f"{REQUEST_SECONDS.name}:{bisect.bisect_left(REQUEST_SECONDS.buckets, seconds)}", (view,))
        sum_key = (f"{REQUEST_SECONDS.name}:sum", (view,))
        with self._lock:
            pending = self._pending
            pending[status_key] = pending.get(status_key, 0.0) + 1.0
            pending[bucket_key] = pending.get(bucket_key, 0.0) + 1.0
            pending[sum_key] = pending.get(sum_key, 0.0) + seconds

    def due(self) -> bool:
        return time.monotonic() >= self._next_flush

    def take(self) -> dict[tuple[str, tuple[str, ...]], float]:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._next_flush = time.monotonic() + FLUSH_SECONDS
        return pending

    def give_back(self, pending: dict[tuple[str, tuple[str, ...]], float]) -> None:
        """Counts a failed write could not store: kept for the next try, which waits RETRY_SECONDS."""
        with self._lock:
            for key, amount in pending.items():
                self._pending[key] = self._pending.get(key, 0.0) + amount
            self._next_flush = time.monotonic() + RETRY_SECONDS


tally = Tally()


def _upsert_sql() -> str:
    from hotline.core.models import MetricCount

    quote = connection.ops.quote_name
    table = quote(MetricCount._meta.db_table)
    name, labels, value = (quote(c) for c in ("name", "labels", "value"))
    # SQLite (3.24+) and PostgreSQL alike: one statement adds to a row or creates it, so processes never
    # overwrite each other's counts.
    return (
        f"INSERT INTO {table} ({name}, {labels}, {value}) VALUES (%s, %s, %s) "  # noqa: S608  # nosec B608  # quoted model identifiers; values are %s parameters
        f"ON CONFLICT ({name}, {labels}) DO UPDATE SET {value} = {table}.{value} + excluded.{value}"
    )


def flush(*, force: bool = False) -> bool:
    """Add this process's counts to the table. Without `force` it waits for FLUSH_SECONDS and never writes
    inside someone else's transaction. Never raises: metrics must not break a request or a task."""
    if not force and (not tally.due() or connection.in_atomic_block):
        return False
    pending = tally.take()
    if not pending:
        return True
    rows = [
        (name, json.dumps(list(labels), separators=(",", ":")), amount) for (name, labels), amount in pending.items()
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(), rows)
    except Exception as exc:  # the database is away, or this process may not write now: try again later
        tally.give_back(pending)
        logger.warning("Metrics counts not stored (%s); kept for the next try.", type(exc).__name__)
        return False
    return True


def flush_when_due(**kwargs: Any) -> None:
    """Receiver of request_finished (after the response went out) and of the worker's task_finished."""
    # Never inside a transaction (a task's or a test's): the counts wait for the next chance.
    if tally.due() and enabled() and not connection.in_atomic_block:
        flush()
        # With HOTLINE_CONN_MAX_AGE=0 (PgBouncer) the connection this may have opened is closed at once.
        connection.close_if_unusable_or_obsolete()


def flush_at_exit() -> None:
    if enabled():
        flush(force=True)


class RequestMetricsMiddleware:
    """Counts every answered request by resolved URL name and status (outermost, so redirects and refusals of
    the other middleware count too). The path itself is never a label: it can hold a receipt or a token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            return self.get_response(request)
        start = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        tally.request(
            match.view_name if match is not None else UNRESOLVED, response.status_code, time.perf_counter() - start
        )
        return response


def task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """Receiver of django-tasks' task_finished in the worker: outcome, wait and run time by task path."""
    if not enabled():
        return
    try:
        name = task_result.task.module_path
        outcome = str(task_result.status.value if hasattr(task_result.status, "value") else task_result.status)
        tally.count(TASK_RUNS, (name, outcome.lower()))
        started, finished = task_result.started_at, task_result.finished_at
        if started is not None:
            due = max(filter(None, (task_result.enqueued_at, task_result.task.run_after)), default=started)
            tally.observe(TASK_WAIT_SECONDS, (name,), max((started - due).total_seconds(), 0.0))
            if finished is not None:
                tally.observe(TASK_RUN_SECONDS, (name,), max((finished - started).total_seconds(), 0.0))
    except Exception as exc:  # a task whose code is gone, or an odd result: never break the worker for a metric
        logger.warning("Task run not counted (%s).", type(exc).__name__)
    flush_when_due()


# --- the exposition ----------------------------------------------------------------------------------
def _stored_families() -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

    from hotline.core.models import MetricCount

    rows: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    for name, raw_labels, value in MetricCount.objects.values_list("name", "labels", "value"):
        rows.setdefault(name, []).append((tuple(json.loads(raw_labels)), value))
    for metric in STORED:
        if isinstance(metric, Counter):
            family = CounterMetricFamily(metric.name, metric.help, labels=metric.labels)
            for labels, value in sorted(rows.get(metric.name, [])):
                family.add_metric(list(labels), value)
            yield family
            continue
        buckets: dict[tuple[str, ...], list[float]] = {}
        sums: dict[tuple[str, ...], float] = {}
        for index in range(len(metric.buckets) + 1):
            for labels, value in rows.get(f"{metric.name}:{index}", []):
                buckets.setdefault(labels, [0.0] * (len(metric.buckets) + 1))[index] += value
        for labels, value in rows.get(f"{metric.name}:sum", []):
            sums[labels] = value
        histogram = HistogramMetricFamily(metric.name, metric.help, labels=metric.labels)
        for labels, counts in sorted(buckets.items()):
            cumulative, running = [], 0.0
            for bound, count in zip([*map(str, metric.buckets), "+Inf"], counts, strict=True):
                running += count
                cumulative.append((bound, running))
            histogram.add_metric(list(labels), cumulative, sum_value=sums.get(labels, 0.0))
        yield histogram


def _families(metrics: Iterable[registry.Metric]) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    for metric in metrics:
        family_class = CounterMetricFamily if metric.kind == "counter" else GaugeMetricFamily
        family = family_class(metric.name, metric.help, labels=metric.labels)
        for labels, value in metric.samples:
            family.add_metric(list(labels), value)
        yield family


def core_figures() -> list[registry.Metric]:
    """The core's own figures: the task queue, the audit chain, this installation."""
    import django
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from hotline.core import taskqueue
    from hotline.core.models import AuditChainHead, AuditCheck

    backlog = taskqueue.ready_backlog()
    failed = (
        DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        .values_list("task_path")
        .order_by("task_path")
        .annotate(n=_count())
    )
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    last_ok = AuditCheck.objects.filter(broken_at=None).order_by("-checked_at").values_list("checked_at", flat=True)
    last_check = AuditCheck.objects.order_by("-checked_at").values_list("broken_at", "checked_at").first()
    last_ok_at = last_ok.first()
    figures = [
        registry.Metric(
            "hotline_tasks_ready", "Background tasks due and waiting for a worker.", samples=(((), backlog.ready),)
        ),
        registry.Metric("hotline_tasks_running", "Background tasks a worker is running.", samples=(((), running),)),
        registry.Metric(
            "hotline_task_oldest_ready_age_seconds",
            "How long the longest-waiting due task has waited (0: none waits).",
            samples=(((), backlog.oldest_age_seconds or 0.0),),
        ),
        registry.Metric(
            "hotline_tasks_failed",
            "Failed task runs still kept (HOTLINE_FAILED_TASK_DAYS), by task.",
            labels=("task",),
            samples=tuple(((path,), n) for path, n in failed),
        ),
        registry.Metric("hotline_audit_entries", "Entries in the audit log (the chain head).", samples=(((), head),)),
        registry.Metric(
            "hotline_audit_last_verified_timestamp_seconds",
            "When `manage.py verify_audit` last found the whole chain intact (Unix time; 0: never).",
            samples=(((), last_ok_at.timestamp() if last_ok_at else 0.0),),
        ),
        registry.Metric(
            "hotline_audit_last_check_ok",
            "1 when the newest `manage.py verify_audit` found the chain intact, 0 when it found a break.",
            samples=(((), 1.0 if last_check is None or last_check[0] is None else 0.0),),
        ),
        registry.Metric(
            "hotline_info",
            "This installation: Python and Django versions and the database (sqlite or postgresql).",
            labels=("python", "django", "database"),
            samples=(((platform.python_version(), django.get_version(), connection.vendor), 1.0),),
        ),
    ]
    return figures


def _count() -> Any:
    from django.db.models import Count

    return Count("pk")


class _Collector:
    """Everything of one scrape, read when Prometheus asks. A failing part is left out and counted in
    hotline_metrics_collector_failed, so one broken app does not hide the others."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        failed = GaugeMetricFamily(
            "hotline_metrics_collector_failed", "1 for a part whose figures could not be read.", labels=["part"]
        )
        parts: list[tuple[str, Callable[[], Iterable[Any]]]] = [("stored", _stored_families), ("core", core_figures)]
        parts += registry.metric_collectors()
        for name, part in parts:
            try:
                families = list(part()) if name == "stored" else list(_families(part()))
            except DatabaseError as exc:
                logger.warning("Metrics of %s not read (%s).", name, type(exc).__name__)
                failed.add_metric([name], 1.0)
                continue
            yield from families
        yield failed


_registry: Any = None


def _scrape_registry() -> Any:
    global _registry
    if _registry is None:
        from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector

        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(_Collector())  # type: ignore[arg-type]
        # The process that answers this scrape (one of the web workers): memory, CPU time, open files, start.
        ProcessCollector(registry=scrape)
        PlatformCollector(registry=scrape)
        _registry = scrape
    return _registry


def exposition() -> tuple[bytes, str]:
    """(body, content type) of one scrape, with this process's own counts stored first."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    flush(force=True)
    return generate_latest(_scrape_registry()), CONTENT_TYPE_LATEST
