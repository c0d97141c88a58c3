"""What each app contributes to the whole, registered in its AppConfig.ready(): demo data steps, facts of the
public privacy page, staff navigation links, the lines `manage.py serve` prints at start-up, and the figures of
/metrics and /readyz.

Core imports no app: the apps come to it. Each registration has a key, so running ready() twice (tests that
reload the app registry) replaces an entry instead of adding it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from django.urls import reverse
from django.utils.functional import Promise


# --- demo data -------------------------------------------------------------------------------------
class Output(Protocol):
    """Where a demo step says what it made: the command's stdout."""

    def write(self, msg: str, /) -> Any: ...


@dataclass(frozen=True)
class DemoStep:
    """`load(stdout)` makes the app's demo data (made-up, reserved names only), idempotently. Steps run by
    `order`, lowest first: an app's step may use the demo data of the apps below it."""

    name: str
    order: int
    load: Callable[[Output], None]


_demo_steps: dict[str, DemoStep] = {}


def register_demo_step(*, name: str, order: int, load: Callable[[Output], None]) -> None:
    _demo_steps[name] = DemoStep(name=name, order=order, load=load)


def demo_steps() -> list[DemoStep]:
    return sorted(_demo_steps.values(), key=lambda step: (step.order, step.name))


# --- the public privacy page ---------------------------------------------------------------------
_privacy_facts: dict[str, Callable[[], Mapping[str, Any]]] = {}


def register_privacy_facts(*, name: str, facts: Callable[[], Mapping[str, Any]]) -> None:
    """`facts()` gives template variables of core/privacy.html (e.g. this installation's retention periods),
    read on each request so a changed setting shows at once."""
    _privacy_facts[name] = facts


def privacy_facts() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name in sorted(_privacy_facts):
        merged.update(_privacy_facts[name]())
    return merged


# --- staff navigation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffLink:
    """A staff page and the roles it is shown to. The view enforces access; this only decides what to show,
    so `roles` must be roles the view lets in (tests/test_staff_navigation.py checks both)."""

    url_name: str
    label: str | Promise
    roles: frozenset[str]
    order: int

    @property
    def path(self) -> str:
        return reverse(self.url_name)


_staff_links: dict[str, StaffLink] = {}


def register_staff_links(*links: StaffLink) -> None:
    for link in links:
        _staff_links[link.url_name] = link


def staff_links() -> list[StaffLink]:
    return sorted(_staff_links.values(), key=lambda link: (link.order, link.url_name))


def staff_links_for(roles: Iterable[str]) -> list[StaffLink]:
    """The links a staff member with `roles` sees, in the staff bar and on the staff home page alike."""
    held = set(roles)
    return [link for link in staff_links() if link.roles & held]


# --- `manage.py serve` -------------------------------------------------------------------------------
_serve_lines: dict[str, Callable[[], str]] = {}


def register_serve_lines(*, name: str, lines: Callable[[], str]) -> None:
    """`lines()` is printed once the server runs (e.g. the demo logins); an empty string prints nothing."""
    _serve_lines[name] = lines


def serve_lines() -> list[str]:
    return [text for name in sorted(_serve_lines) if (text := _serve_lines[name]())]


# --- /metrics and /readyz ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """A figure of /metrics read from the database when Prometheus asks (hotline.core.metrics renders it).

    `name` starts with `hotline_`; a counter's name has no `_total` (the exposition adds it). Each sample is
    (label values in the order of `labels`, value). Label values are fixed words of the code (channels,
    states, targets), never data: no URL, host name, receipt or email ever goes into a label.
    """

    name: str
    help: str
    kind: Literal["gauge", "counter"] = "gauge"
    labels: tuple[str, ...] = ()
    samples: tuple[tuple[tuple[str, ...], float], ...] = ()


_metric_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}


def register_metrics(*, name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """`collect()` reads the app's figures for one scrape of /metrics (a few indexed queries: it runs every
    time Prometheus asks, typically every 15 to 60 seconds)."""
    _metric_collectors[name] = collect


def metric_collectors() -> list[tuple[str, Callable[[], Iterable[Metric]]]]:
    return sorted(_metric_collectors.items())


_ready_facts: dict[str, Callable[[], Mapping[str, int | float | None]]] = {}


def register_ready_facts(*, name: str, facts: Callable[[], Mapping[str, int | float | None]]) -> None:
    """`facts()` gives figures shown under `name` in /readyz to a caller holding the metrics token (counts and
    ages in seconds; None when there is nothing to measure). They inform; they never make /readyz fail."""
    _ready_facts[name] = facts


def ready_facts() -> list[tuple[str, Callable[[], Mapping[str, int | float | None]]]]:
    return sorted(_ready_facts.items())
