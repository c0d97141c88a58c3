"""Settings of the tracing app, read at call time (tests override them with pytest-django's `settings`).

Every value may come from Django settings or, failing that, from the environment variable of the
same name; see docs/tracing.md for what each one does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

IANA_RDAP_BOOTSTRAP = "https://data.iana.org/rdap/ipv4.json,https://data.iana.org/rdap/ipv6.json"
BUNDLED_CDN_DATA = Path(__file__).resolve().parent / "data" / "cdn_networks.json"


def _get(name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, "")
    return default if value == "" or value is None else value


def _float(name: str, default: float) -> float:
    return float(_get(name, default))


def _int(name: str, default: int) -> int:
    return int(_get(name, default))


def trace_ttl() -> timedelta:
    return timedelta(hours=_float("HOTLINE_TRACE_TTL_HOURS", 24))


def max_attempts() -> int:
    return max(1, _int("HOTLINE_TRACE_MAX_ATTEMPTS", 5))


def retry_base() -> timedelta:
    return timedelta(seconds=_float("HOTLINE_TRACE_RETRY_SECONDS", 300))


def retry_cap() -> timedelta:
    return timedelta(seconds=_float("HOTLINE_TRACE_RETRY_MAX_SECONDS", 6 * 3600))


def refresh_batch() -> int:
    return max(1, _int("HOTLINE_TRACE_REFRESH_BATCH", 200))


def max_addresses() -> int:
    return max(1, _int("HOTLINE_TRACE_MAX_ADDRESSES", 8))


def trace_budget() -> float:
    """Seconds one trace may spend on the network before the remaining lookups are left for a retry."""
    return _float("HOTLINE_TRACE_BUDGET_SECONDS", 60)


@dataclass(frozen=True)
class DnsConfig:
    servers: tuple[tuple[str, int], ...]  # empty: the system resolver's (/etc/resolv.conf)
    timeout: float  # one try against one server
    lifetime: float  # one question, all tries and servers
    max_cname: int


def parse_servers(text: str) -> tuple[tuple[str, int], ...]:
    """'192.0.2.53, 127.0.0.1:5353, [::1]:53, ::1' -> ((ip, port), ...). Raises ValueError."""
    import ipaddress

    out = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        host, port = item, 53
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            if rest:
                port = int(rest.removeprefix(":"))
        elif item.count(":") == 1:
            host, _, port_text = item.partition(":")
            port = int(port_text)
        ipaddress.ip_address(host)  # nameservers are addresses: resolving their names would need DNS
        if not 0 < port < 65536:
            raise ValueError(f"port out of range in {item!r}")
        out.append((host, port))
    return tuple(out)


def dns_config() -> DnsConfig:
    timeout = _float("HOTLINE_DNS_TIMEOUT", 3.0)
    return DnsConfig(
        servers=parse_servers(str(_get("HOTLINE_DNS_SERVERS", ""))),
        timeout=timeout,
        lifetime=max(timeout, _float("HOTLINE_DNS_LIFETIME", timeout * 2.5)),
        max_cname=max(1, _int("HOTLINE_DNS_MAX_CNAME", 8)),
    )


@dataclass(frozen=True)
class RdapConfig:
    bootstrap: tuple[str, ...]  # URLs (http/https) or file paths of IANA-style bootstrap files
    timeout: float
    max_bytes: int
    proxy: str  # "" = connect directly (environment proxies are ignored on purpose)
    explicit: bool = False  # the operator named a bootstrap (then special-use addresses are looked up too)


def rdap_config() -> RdapConfig:
    sources = str(_get("HOTLINE_RDAP_BOOTSTRAP", IANA_RDAP_BOOTSTRAP))
    return RdapConfig(
        explicit=bool(_get("HOTLINE_RDAP_BOOTSTRAP", "")),
        bootstrap=tuple(s.strip() for s in sources.split(",") if s.strip()),
        timeout=_float("HOTLINE_RDAP_TIMEOUT", 10.0),
        max_bytes=_int("HOTLINE_RDAP_MAX_BYTES", 1024 * 1024),
        proxy=str(_get("HOTLINE_RDAP_PROXY", "")),
    )


def geoip_paths() -> tuple[str, ...]:
    """HOTLINE_GEOIP_MMDB: one MaxMind-format file, or several separated by commas (country + ASN)."""
    return tuple(p.strip() for p in str(_get("HOTLINE_GEOIP_MMDB", "")).split(",") if p.strip())


def cdn_data_path() -> Path:
    return Path(str(_get("HOTLINE_CDN_DATA", BUNDLED_CDN_DATA)))


def stuck_after() -> timedelta:
    """A queued trace whose task has not run for this long is taken as lost and queued again."""
    return timedelta(hours=_float("HOTLINE_TRACE_STUCK_HOURS", 6))
