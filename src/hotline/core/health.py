"""Readiness (/readyz): can this process serve (database reachable, every migration applied), and, for a caller
holding the metrics token, the figures behind it (task backlog, each app's registered facts).

Only the two conditions that stop this process from answering correctly make /readyz fail. A late task queue or a
failed delivery is a matter for the worker or a person, not a reason to take web servers out of a load balancer
(that would turn a slow queue into an outage): they are figures here and alert rules on /metrics.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest

from hotline.core import conf, registry

logger = logging.getLogger("hotline.health")

_migrations_applied: set[str] = set()  # database aliases found fully migrated: stays true for this code


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, str]
    figures: dict[str, Any] = field(default_factory=dict)

    def body(self, *, detail: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ready" if self.ready else "unavailable", "checks": self.checks}
        if detail:
            body.update(self.figures)
        return body


def bearer_matches(request: HttpRequest, token: str) -> bool:
    """The request carries `Authorization: Bearer <token>` (compared in constant time, over digests so the
    comparison does not depend on the length either)."""
    if not token:
        return False
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(sha256(presented.strip().encode()).digest(), sha256(token.encode()).digest())


def holds_metrics_token(request: HttpRequest) -> bool:
    return bearer_matches(request, conf.metrics_token())


def migrations_applied(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """No migration of this code is missing from the database. Loading the migration graph costs tens of
    milliseconds, so a positive answer is kept for the life of the process (migrations are not undone)."""
    if alias in _migrations_applied:
        return True
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrations_applied.add(alias)
    return True


def readiness(*, detail: bool) -> Readiness:
    """The checks (and, with `detail`, the figures). Never raises: an error is a failed check."""
    connection = connections[DEFAULT_DB_ALIAS]
    checks = {"database": "ok", "migrations": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("Readiness: database unreachable (%s).", type(exc).__name__)
        checks.update(database="unreachable", migrations="unknown")
        return Readiness(ready=False, checks=checks)
    try:
        if not migrations_applied():
            checks["migrations"] = "pending"
    except DatabaseError as exc:
        logger.warning("Readiness: migrations not readable (%s).", type(exc).__name__)
        checks["migrations"] = "unknown"
    ready = checks["migrations"] == "ok"
    result = Readiness(ready=ready, checks=checks)
    if detail and ready:
        result.figures = _figures()
    return result


def _figures() -> dict[str, Any]:
    from hotline.core.taskqueue import ready_backlog

    figures: dict[str, Any] = {}
    try:
        backlog = ready_backlog()
        figures["tasks"] = {"ready": backlog.ready, "oldest_ready_age_seconds": _rounded(backlog.oldest_age_seconds)}
    except DatabaseError as exc:
        logger.warning("Readiness: task backlog not read (%s).", type(exc).__name__)
        figures["tasks"] = None
    for name, facts in registry.ready_facts():
        try:
            figures[name] = {key: _rounded(value) for key, value in facts().items()}
        except DatabaseError as exc:
            logger.warning("Readiness: facts of %s not read (%s).", name, type(exc).__name__)
            figures[name] = None
    return figures


def _rounded(value: int | float | None) -> int | float | None:
    return round(value, 1) if isinstance(value, float) else value
