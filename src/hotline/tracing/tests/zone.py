"""The test world of the tracing tests and benchmark: a DNS zone, a CDN list and a MaxMind-format file.

Reserved names and documentation addresses only. The .mmdb deliberately places 198.51.100.0/24 in
CA while its RDAP record says US, so a test can tell which source gave the country.
"""

from __future__ import annotations

import json
from pathlib import Path

ZONE: dict[str, list[tuple[str, str]]] = {
    "plain.example.test": [("A", "192.0.2.10"), ("AAAA", "2001:db8::10")],
    "v4only.example.test": [("A", "198.51.100.20")],
    "v6only.example.test": [("AAAA", "2001:db8::20")],
    "www.chain.example.test": [("CNAME", "a.chain.example.test")],
    "a.chain.example.test": [("CNAME", "b.chain.example.test")],
    "b.chain.example.test": [("A", "198.51.100.21"), ("A", "192.0.2.11")],
    "split.example.test": [("CNAME", "target.other.test")],
    "target.other.test": [("A", "192.0.2.12")],
    "nodata.example.test": [("TXT", "no address here")],
    "dangling.example.test": [("CNAME", "gone.example.test")],
    "loop1.example.test": [("CNAME", "loop2.example.test")],
    "loop2.example.test": [("CNAME", "loop1.example.test")],
    "inloop1.example.test": [("CNAME", "inloop2.example.test")],
    "inloop2.example.test": [("CNAME", "inloop1.example.test")],
    "shop.customer.example.test": [("CNAME", "customer-1.edge.cdn.example")],
    "customer-1.edge.cdn.example": [("A", "203.0.113.50")],
    "cdnip.example.test": [("A", "203.0.113.51")],
    "rdapdown.example.test": [("A", "198.51.100.99")],
    "rdapslow.example.test": [("A", "198.51.100.98")],
    "rdapbad.example.test": [("A", "198.51.100.97")],
    "rdap404.example.test": [("A", "198.51.100.96")],
    "rdaphuge.example.test": [("A", "198.51.100.95")],
    "rdapredirect.example.test": [("A", "198.51.100.94")],
    "rdaplenient.example.test": [("A", "198.51.100.93")],
    "big.example.test": [("A", f"192.0.2.{100 + i}") for i in range(30)],
    "moved.example.test": [("A", "192.0.2.30")],
    "trap.example.test": [("A", "127.0.0.2"), ("A", "192.0.2.40")],
    "*.bench.example.test": [("A", "192.0.2.200")],
}
# A chain of 12 CNAMEs, longer than the default limit of 8 hops.
for _i in range(12):
    ZONE[f"long{_i}.example.test"] = [("CNAME", f"long{_i + 1}.example.test")]
ZONE["long12.example.test"] = [("A", "192.0.2.13")]

SILENT = {"slow.example.test"}
MALFORMED = {"broken.example.test"}
SERVFAIL = {"servfail.example.test"}
AUTHORITATIVE_ONLY = {"split.example.test", "loop1.example.test", "loop2.example.test"}
TRUNCATE_UDP = {"big.example.test"}

CDN_LIST = {
    "description": "Test CDN list",
    "networks": [
        {
            "name": "Example CDN",
            "asns": [64500],
            "cname_suffixes": ["cdn.example"],
            "network_name_prefixes": ["EXAMPLE-CDN"],
        }
    ],
}

MMDB_NETWORKS: list[tuple[str, dict[str, object]]] = [
    ("192.0.2.0/24", {"country": {"iso_code": "NL"}, "autonomous_system_number": 64501,
                      "autonomous_system_organization": "Example Hosting NL"}),
    ("198.51.100.0/24", {"country": {"iso_code": "CA"}, "autonomous_system_number": 64502,
                         "autonomous_system_organization": "Example Networks"}),
    ("203.0.113.0/24", {"country": {"iso_code": "DE"}, "autonomous_system_number": 64500,
                        "autonomous_system_organization": "Example CDN"}),
    ("2001:db8::/32", {"country": {"iso_code": "SE"}, "autonomous_system_number": 64503,
                       "autonomous_system_organization": "Exempel Hosting"}),
]  # fmt: skip


def write_cdn_list(path: Path) -> Path:
    path.write_text(json.dumps(CDN_LIST), encoding="utf-8")
    return path


def write_mmdb(path: Path, networks: list[tuple[str, dict[str, object]]] = MMDB_NETWORKS) -> Path:
    """A small MaxMind-format country+ASN file built with mmdb-writer."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(
        ip_version=6, ipv4_compatible=True, database_type="Hotline-Test-Country-ASN", languages=["en"], description="t"
    )
    for cidr, record in networks:
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path
