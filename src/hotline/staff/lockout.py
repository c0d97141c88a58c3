"""The staff sign-in lockout around django-axes: failures count per account *and* client network, so a locked
network never locks colleagues elsewhere; a per-account delay slows guessing from many networks without ever
locking; a staff member's own browser (a signed token from its last sign-in) skips that delay; and axes' log
lines name the account and network only, never a user agent. See docs/security.md, "Staff sign-in"."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core import signing
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from hotline.core import clients
from hotline.staff import conf, rules
from hotline.staff.models import StaffUser

KNOWN_BROWSER_COOKIE = "hotline_staff_browser"
_KNOWN_BROWSER_SALT = "hotline.staff.known-browser"


# --- django-axes' hooks (settings AXES_CLIENT_IP_CALLABLE, AXES_CLIENT_STR_CALLABLE) --------------------
def axes_client_network(request: HttpRequest) -> str | None:
    """What axes stores and locks as the client's "IP address": the network of the address seen through
    HOTLINE_TRUSTED_PROXY_COUNT proxies (rules.client_network), never the full address."""
    return rules.client_network(clients.client_address(request))


def axes_log_client(username: Any, ip_address: Any, user_agent: Any, path_info: Any, request: Any) -> str:
    """How axes names a client in its log lines: account, network and path; the user agent is left out."""
    path = path_info[0] if isinstance(path_info, list | tuple) else path_info
    parts = {"username": str(username or ""), "network": rules.network_label(ip_address), "path_info": str(path)}
    return "{" + ", ".join(f"{key}: {json.dumps(value)}" for key, value in parts.items()) + "}"


# --- the state of an account ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AccountFailures:
    """Failed sign-ins of one account within the cool-off, from every network together."""

    failures: int
    networks: int
    locked_networks: int
    last_at: datetime | None


def _cooloff() -> timedelta:
    return settings.AXES_COOLOFF_TIME  # type: ignore[no-any-return]


def _live_attempts(email: str) -> Any:
    return AccessAttempt.objects.filter(username=email, attempt_time__gte=timezone.now() - _cooloff())


def account_failures(email: str) -> AccountFailures:
    per_network = list(
        _live_attempts(email)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last_at=Max("attempt_time"))
    )
    limit = settings.AXES_FAILURE_LIMIT
    return AccountFailures(
        failures=sum(row["failures"] for row in per_network),
        networks=len(per_network),
        locked_networks=sum(1 for row in per_network if row["failures"] >= limit),
        last_at=max((row["last_at"] for row in per_network), default=None),
    )


def account_wait_seconds(email: str) -> int:
    """Seconds the next attempt on this account must wait (rules.account_delay_seconds), 0 if none."""
    state = account_failures(email)
    delay = rules.account_delay_seconds(
        state.failures, free=conf.login_delay_after(), maximum=conf.login_delay_max_seconds()
    )
    if not delay or state.last_at is None:
        return 0
    left = (state.last_at + timedelta(seconds=delay) - timezone.now()).total_seconds()
    return max(0, math.ceil(left))


def lock_seconds_left(request: HttpRequest, email: str) -> int:
    """Seconds until sign-in to `email` from this request's network is no longer locked (0: not locked).

    Axes locks while the failures of the account and network within the cool-off reach the limit; each of
    its rows (one per user agent) leaves the count a cool-off after its last failure."""
    rows = sorted(
        _live_attempts(email)
        .filter(ip_address=axes_client_network(request))
        .values_list("attempt_time", "failures_since_start")
    )
    remaining = sum(failures for _at, failures in rows)
    limit = settings.AXES_FAILURE_LIMIT
    for at, failures in rows:
        if remaining < limit:
            break
        remaining -= failures
        if remaining < limit:
            # Locked up to and including the second the cool-off ends (axes compares with >=).
            return max(1, math.floor((at + _cooloff() - timezone.now()).total_seconds()) + 1)
    return 0


# --- the staff member's own browser ------------------------------------------------------------------------
def remember_browser(response: HttpResponse, user: StaffUser) -> None:
    """After a full sign-in: the browser may skip this account's delay for rules.KNOWN_BROWSER_DAYS (only the
    delay: a locked network stays locked)."""
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        signing.dumps({"u": user.pk}, salt=_KNOWN_BROWSER_SALT),
        max_age=int(timedelta(days=rules.KNOWN_BROWSER_DAYS).total_seconds()),
        path="/staff/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def is_known_browser(request: HttpRequest, email: str) -> bool:
    token = request.COOKIES.get(KNOWN_BROWSER_COOKIE, "")
    if not token:
        return False
    try:
        data = signing.loads(token, salt=_KNOWN_BROWSER_SALT, max_age=timedelta(days=rules.KNOWN_BROWSER_DAYS))
    except signing.BadSignature:
        return False
    user_id = data.get("u") if isinstance(data, dict) else None
    return isinstance(user_id, int) and StaffUser.objects.filter(pk=user_id, email=email, is_active=True).exists()
