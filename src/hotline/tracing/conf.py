"""Settings of the tracing app, read through hotline.core.conf at call time (tests override them with
pytest-django's `settings`); see docs/tracing.md for what each one does."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hotline.core import conf

IANA_RDAP_BOOTSTRAP = "https://data.iana.org/rdap/ipv4.json,https://data.iana.org/rdap/ipv6.json"
BUNDLED_CDN_DATA = Path(__file__).resolve().parent / "data" / "cdn_networks.json"


def trace_ttl() -> timedelta:
    return timedelta(hours=conf.number("HOTLINE_TRACE_TTL_HOURS", 24))


def max_attempts() -> int:
    return conf.integer("HOTLINE_TRACE_MAX_ATTEMPTS", 5, minimum=1)


def retry_base() -> timedelta:
    return timedelta(seconds=conf.number("HOTLINE_TRACE_RETRY_SECONDS", 300))


def retry_cap() -> timedelta:
    return timedelta(seconds=conf.number("HOTLINE_TRACE_RETRY_MAX_SECONDS", 6 * 3600))


def refresh_batch() -> int:
    return conf.integer("HOTLINE_TRACE_REFRESH_BATCH", 200, minimum=1)


def max_addresses() -> int:
    return conf.integer("HOTLINE_TRACE_MAX_ADDRESSES", 8, minimum=1)


def trace_budget() -> float:
    """Seconds one trace may spend on the network before the remaining lookups are left for a retry."""
    return conf.number("HOTLINE_TRACE_BUDGET_SECONDS", 60)


@dataclass(frozen=True)
class DnsConfig:
    servers: tuple[tuple[str, int], ...]  # empty: the system resolver's (/etc/resolv.conf)
    timeout: float  # one try against one server
    lifetime: float  # one question, all tries and servers
    max_cname: int


def parse_servers(text: str) -> tuple[tuple[str, int], ...]:
    """'192.0.2.53, 127.0.0.1:5353, [::1]:53, ::1' -> ((ip, port), ...). Raises ValueError."""
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


def _servers(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return parse_servers(value)


def dns_servers() -> tuple[tuple[str, int], ...]:
    """HOTLINE_DNS_SERVERS (empty: the system resolver's)."""
    return conf.parsed(
        "HOTLINE_DNS_SERVERS", (), _servers, expects="a comma-separated list of ip[:port] (IPv6 as [ip]:port)"
    )


def dns_config() -> DnsConfig:
    timeout = conf.number("HOTLINE_DNS_TIMEOUT", 3.0)
    return DnsConfig(
        servers=dns_servers(),
        timeout=timeout,
        lifetime=max(timeout, conf.number("HOTLINE_DNS_LIFETIME", timeout * 2.5)),
        max_cname=conf.integer("HOTLINE_DNS_MAX_CNAME", 8, minimum=1),
    )


@dataclass(frozen=True)
class RdapConfig:
    bootstrap: tuple[str, ...]  # URLs (http/https) or file paths of IANA-style bootstrap files
    timeout: float
    max_bytes: int
    proxy: str  # "" = connect directly (environment proxies are ignored on purpose)
    explicit: bool = False  # the operator named a bootstrap (then special-use addresses are looked up too)


def rdap_config() -> RdapConfig:
    named = conf.comma_list("HOTLINE_RDAP_BOOTSTRAP")
    return RdapConfig(
        explicit=bool(named),
        bootstrap=named or tuple(IANA_RDAP_BOOTSTRAP.split(",")),
        timeout=conf.number("HOTLINE_RDAP_TIMEOUT", 10.0),
        max_bytes=conf.integer("HOTLINE_RDAP_MAX_BYTES", 1024 * 1024),
        proxy=conf.text("HOTLINE_RDAP_PROXY", ""),
    )


def geoip_paths() -> tuple[str, ...]:
    """HOTLINE_GEOIP_MMDB: one MaxMind-format file, or several separated by commas (country + ASN)."""
    return conf.comma_list("HOTLINE_GEOIP_MMDB")


def cdn_data_path() -> Path:
    return conf.path("HOTLINE_CDN_DATA", BUNDLED_CDN_DATA)


def stuck_after() -> timedelta:
    """A queued trace whose task has not run for this long is taken as lost and queued again."""
    return timedelta(hours=conf.number("HOTLINE_TRACE_STUCK_HOURS", 6))


ACCESSORS: tuple[conf.Accessor, ...] = (
    trace_ttl,
    max_attempts,
    retry_base,
    retry_cap,
    refresh_batch,
    max_addresses,
    trace_budget,
    dns_servers,
    dns_config,
    rdap_config,
    geoip_paths,
    cdn_data_path,
    stuck_after,
)
