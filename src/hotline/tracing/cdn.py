"""The catalogue of CDNs and reverse proxies (HOTLINE_CDN_DATA, a JSON file; a bundled one by default): which
network is in front of a host, judged by its address's ASN, its CNAME chain or its RDAP network name."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


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
