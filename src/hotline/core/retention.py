"""The retention engine: one policy per record type (each registered by the app that owns the records), run in
batches by one periodic task, each batch in one transaction with one audit entry of counts and ids (never what was
erased); `manage.py retention --dry-run` counts what would go, writing nothing.

A policy says which rows are due at a moment (`due(now)`, a queryset of the app's own model) and how to erase or
anonymise a batch of them (`erase(ids, now)`, called inside the engine's transaction: it locks what it must, checks
again that each row is still due, changes them and returns the number and the audit details). Its period comes from
one setting read through hotline.core.conf; a period that returns None means "keep": the policy does nothing and the
dry run says so. The engine pages through due rows by primary key, so a run always ends even when a batch finds
fewer rows still due than it was given.

Aggregates (statistics, counters, rollups) are not policies: the engine touches only what a policy's `erase`
changes, and the policies anonymise the rows statistics count (cases, reports, signatures) instead of deleting
them (docs/data-retention.md, "Statistics").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.functional import Promise

from hotline.core import audit, conf

Unit = Literal["minutes", "hours", "days", "months"]


@dataclass(frozen=True)
class RetentionPolicy:
    """One record type and what happens to it when its period has run out.

    `period()` is the configured number of `unit`s, or None when no period is set (the records are kept).
    `due(now)` gives the rows due at `now`; `erase(ids, now)` erases or anonymises those of `ids` still due
    (inside the engine's transaction) and returns (rows erased, audit details: ids and numbers only).
    """

    name: str  # "<app>.<record type>", e.g. "cases.not_illegal"
    record_type: str | Promise  # what the records are, for people
    action: str | Promise  # what happens to a due record, for people
    setting: str  # the setting that holds the period ("": fixed by the code, e.g. a rate-limit window)
    unit: Unit
    period: Callable[[], int | None]
    due: Callable[[datetime], QuerySet[Any]]
    erase: Callable[[list[Any], datetime], tuple[int, Mapping[str, Any]]]
    audit_action: str
    order: int = 100
    fixed: str | Promise = ""  # without a setting: when the records go, for people ("at the end of the window")

    def kept(self) -> bool:
        return self.period() is None


_policies: dict[str, RetentionPolicy] = {}


def register_policy(policy: RetentionPolicy) -> None:
    """Called from the owning app's AppConfig.ready(); registering a name again replaces it."""
    _policies[policy.name] = policy


def policies() -> list[RetentionPolicy]:
    return sorted(_policies.values(), key=lambda p: (p.order, p.name))


def policy(name: str) -> RetentionPolicy:
    return _policies[name]


def batch_size() -> int:
    """HOTLINE_RETENTION_BATCH: rows one retention transaction (and one audit entry) takes at most."""
    return conf.integer("HOTLINE_RETENTION_BATCH", 500, minimum=1, maximum=10_000)


ACCESSORS: tuple[conf.Accessor, ...] = (batch_size,)


@dataclass(frozen=True)
class Outcome:
    """What one policy did in a run (or, in a dry run, would do)."""

    name: str
    kept: bool  # no period set: nothing was looked at
    count: int  # rows erased (a dry run: rows due)
    batches: int
    dry_run: bool


def run_policy(
    target: RetentionPolicy | str, *, now: datetime | None = None, dry_run: bool = False, batch: int | None = None
) -> Outcome:
    """Erase what `target` holds due at `now`, in batches of `batch` (HOTLINE_RETENTION_BATCH), each batch one
    transaction with one audit entry; a dry run only counts (no write, no audit entry)."""
    chosen = target if isinstance(target, RetentionPolicy) else _policies[target]
    if chosen.kept():
        return Outcome(chosen.name, kept=True, count=0, batches=0, dry_run=dry_run)
    now = now or timezone.now()
    due = chosen.due(now)
    if dry_run:
        return Outcome(chosen.name, kept=False, count=due.count(), batches=0, dry_run=True)
    size = batch or batch_size()
    ids = due.order_by("pk").values_list("pk", flat=True)
    total = batches = 0
    last: Any = None
    while candidates := list((ids if last is None else ids.filter(pk__gt=last))[:size]):
        last = candidates[-1]
        with transaction.atomic():
            count, details = chosen.erase(candidates, now)
            if count:
                audit.record(
                    actor=audit.SYSTEM,
                    action=chosen.audit_action,
                    object_type="retention",
                    object_id=chosen.name,
                    details={"policy": chosen.name, **details},
                )
        total += count
        batches += 1
        if len(candidates) < size:
            break
    return Outcome(chosen.name, kept=False, count=total, batches=batches, dry_run=False)


def run_all(*, now: datetime | None = None, dry_run: bool = False) -> list[Outcome]:
    """Every registered policy in order (the periodic task `apply_retention`, `manage.py retention`)."""
    now = now or timezone.now()
    return [run_policy(p, now=now, dry_run=dry_run) for p in policies()]


def holds_text(*fields: str) -> Q:
    """A condition: any of these (encrypted) text columns is not empty. Encrypted columns take no "=" lookup; the
    length of the stored value tells an empty one apart."""
    condition = Q()
    for field in fields:
        condition |= Q(GreaterThan(Length(field), 0))
    return condition


def describe_period(chosen: RetentionPolicy) -> str:
    """'30 days', or 'keep (HOTLINE_X unset)': how the dry run and the staff page show a period."""
    value = chosen.period()
    if value is None:
        return f"keep ({chosen.setting} unset)"
    return f"{value} {chosen.unit} ({chosen.setting})" if chosen.setting else str(chosen.fixed)
