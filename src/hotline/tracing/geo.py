"""Address -> country (iptocc, offline regional-registry data) and, from MaxMind-format files, ASN + org.

Understands the record shapes of GeoLite2 / DB-IP Lite Country, City and ASN files and of IPinfo's
lite file (country_code, asn "AS123", as_name). Several files may be configured (country + ASN).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import iptocc
import maxminddb

logger = logging.getLogger("hotline.tracing")


@dataclass(frozen=True)
class GeoFacts:
    country: str = ""
    country_method: str = ""  # "mmdb" or "iptocc"
    asn: int | None = None
    as_org: str = ""


def iptocc_country(ip: str) -> str:
    """ISO country of the regional registry's delegation, or "" (documentation and private ranges give "")."""
    try:
        code = iptocc.country_code(ip)
    except (ValueError, TypeError):
        return ""
    return (code or "").upper()


_readers_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _reader(path: str, mtime: float) -> maxminddb.Reader:
    return maxminddb.open_database(path)


def _open(path: str) -> maxminddb.Reader | None:
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        logger.warning("HOTLINE_GEOIP_MMDB names a file that cannot be read; skipping it.")
        return None
    with _readers_lock:
        try:
            return _reader(path, mtime)
        except (OSError, maxminddb.InvalidDatabaseError, ValueError):
            logger.warning("HOTLINE_GEOIP_MMDB names a file that is not a MaxMind-format database; skipping it.")
            return None


def _country_of(record: dict[str, Any]) -> str:
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get("iso_code"), str):
            return value["iso_code"].upper()[:2]
    code = record.get("country_code")
    return code.upper()[:2] if isinstance(code, str) else ""


def _asn_of(record: dict[str, Any]) -> tuple[int | None, str]:
    asn: Any = record.get("autonomous_system_number", record.get("asn"))
    org: Any = record.get("autonomous_system_organization", record.get("as_name", ""))
    if isinstance(asn, str):
        digits = asn.upper().removeprefix("AS")
        asn = int(digits) if digits.isdigit() else None
    if not isinstance(asn, int) or isinstance(asn, bool):
        asn = None
    return asn, org[:255] if isinstance(org, str) else ""


def mmdb_facts(ip: str, paths: tuple[str, ...]) -> GeoFacts:
    country, asn, org = "", None, ""
    for path in paths:
        reader = _open(path)
        if reader is None:
            continue
        try:
            record = reader.get(ip)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        country = country or _country_of(record)
        found_asn, found_org = _asn_of(record)
        if asn is None and found_asn is not None:
            asn, org = found_asn, found_org
    return GeoFacts(country=country, country_method="mmdb" if country else "", asn=asn, as_org=org)


def locate(ip: str, paths: tuple[str, ...]) -> GeoFacts:
    """MaxMind-format files first (finer, and the only source of ASNs), then iptocc for the country."""
    facts = mmdb_facts(ip, paths) if paths else GeoFacts()
    if facts.country:
        return facts
    country = iptocc_country(ip)
    return GeoFacts(country=country, country_method="iptocc" if country else "", asn=facts.asn, as_org=facts.as_org)
