"""Plain rules of hosting localisation (no database, no network): host names, freshness, retries, CDNs."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class InvalidHost(ValueError):
    """Not a plain host name or IP literal (e.g. a full URL, a port, spaces)."""


def normalise_host(host: str) -> str:
    """Return the host as traced and stored: lower case, IDNA (punycode), no trailing dot, IPv6 unbracketed.

    Raises InvalidHost for anything that is not a plain host name or IP address, so a URL can never
    reach a task payload or the trace tables.
    """
    if not isinstance(host, str):
        raise InvalidHost("host must be a string")
    text = host.strip().rstrip(".").lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text or len(text) > 253:
        raise InvalidHost("empty or too long host name")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if any(c in text for c in "/:@?#% \t\r\n\\"):
        raise InvalidHost("a host name only, not a URL")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidHost("not a valid international host name") from exc
    labels = text.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(text) > 253:
        raise InvalidHost("not a valid host name")
    return text


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def should_retry(attempt: int, *, max_attempts: int) -> bool:
    return attempt < max_attempts


def is_fresh(finished_at: datetime | None, *, now: datetime, ttl: timedelta) -> bool:
    """A finished trace younger than the TTL is served from the cache instead of tracing again."""
    return finished_at is not None and now - finished_at < ttl


def primary_country(countries: Sequence[str]) -> str:
    """The country recorded on the case: the first address's (A records before AAAA), if any has one."""
    for country in countries:
        if country:
            return country
    return ""


# --- CDN / reverse proxy ----------------------------------------------------------------------
@dataclass(frozen=True)
class CdnNetwork:
    name: str
    asns: frozenset[int]
    cname_suffixes: tuple[str, ...]
    network_name_prefixes: tuple[str, ...]
    abuse_email: str = ""


@dataclass(frozen=True)
class CdnMatch:
    name: str
    matched_by: str  # "asn", "cname" or "network"
    abuse_email: str = ""


class CdnCatalogue:
    def __init__(self, networks: Iterable[CdnNetwork]):
        self.networks = tuple(networks)

    @classmethod
    def from_json(cls, text: str) -> CdnCatalogue:
        data = json.loads(text)
        return cls(
            CdnNetwork(
                name=str(item["name"]),
                asns=frozenset(int(a) for a in item.get("asns", [])),
                cname_suffixes=tuple(s.lower().strip(".") for s in item.get("cname_suffixes", [])),
                network_name_prefixes=tuple(p.upper() for p in item.get("network_name_prefixes", [])),
                abuse_email=str(item.get("abuse_email", "")),
            )
            for item in data["networks"]
        )

    def match(self, *, asn: int | None = None, names: Sequence[str] = (), network_name: str = "") -> CdnMatch | None:
        """The CDN in front of a host, judged by its address's ASN, its CNAME chain or its RDAP network name."""
        clean_names = [n.lower().rstrip(".") for n in names]
        upper_net = network_name.upper()
        for net in self.networks:
            if asn is not None and asn in net.asns:
                return CdnMatch(net.name, "asn", net.abuse_email)
        for net in self.networks:
            for name in clean_names:
                if any(name == s or name.endswith("." + s) for s in net.cname_suffixes):
                    return CdnMatch(net.name, "cname", net.abuse_email)
        for net in self.networks:
            if upper_net and any(upper_net.startswith(p) for p in net.network_name_prefixes):
                return CdnMatch(net.name, "network", net.abuse_email)
        return None


@functools.lru_cache(maxsize=4)
def _load_catalogue(path: str, mtime: float) -> CdnCatalogue:
    return CdnCatalogue.from_json(Path(path).read_text(encoding="utf-8"))


def load_catalogue(path: Path) -> CdnCatalogue:
    return _load_catalogue(str(path), path.stat().st_mtime)
