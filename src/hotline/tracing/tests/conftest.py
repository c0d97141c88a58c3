"""Fixtures of the tracing tests: a real DNS server and a real RDAP server on loopback, a test .mmdb."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hotline.tracing import rdap
from hotline.tracing.tests import zone
from tests.fakes.dns_server import FakeDnsServer
from tests.fakes.rdap_server import FakeRdapServer


@pytest.fixture(autouse=True)
def _offline_tracing(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Unless a test starts the fakes, tracing can reach nothing: reserved names never go to the
    system resolver, and the RDAP bootstrap is a file that does not exist (never IANA's)."""
    settings.HOTLINE_DNS_SERVERS = ""
    settings.HOTLINE_RDAP_BOOTSTRAP = str(tmp_path / "no-bootstrap.json")
    settings.HOTLINE_GEOIP_MMDB = ""
    settings.HOTLINE_CDN_DATA = str(zone.write_cdn_list(tmp_path / "cdn.json"))
    settings.HOTLINE_TRACE_TTL_HOURS = 24
    rdap.clear_bootstrap_cache()
    yield
    rdap.clear_bootstrap_cache()


@pytest.fixture
def dns_server(settings: Any) -> Iterator[FakeDnsServer]:
    server = FakeDnsServer(
        zone.ZONE,
        silent=zone.SILENT,
        malformed=zone.MALFORMED,
        servfail=zone.SERVFAIL,
        authoritative_only=zone.AUTHORITATIVE_ONLY,
        truncate_udp=zone.TRUNCATE_UDP,
    ).start()
    settings.HOTLINE_DNS_SERVERS = server.address
    settings.HOTLINE_DNS_TIMEOUT = 0.25
    settings.HOTLINE_DNS_LIFETIME = 0.6
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rdap_server(settings: Any) -> Iterator[FakeRdapServer]:
    server = FakeRdapServer(slow_seconds=1.5).start()
    settings.HOTLINE_RDAP_BOOTSTRAP = server.bootstrap_url
    settings.HOTLINE_RDAP_TIMEOUT = 0.5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mmdb(settings: Any, tmp_path: Path) -> Path:
    path = zone.write_mmdb(tmp_path / "test-country-asn.mmdb")
    settings.HOTLINE_GEOIP_MMDB = str(path)
    return path


@dataclass
class TracingWorld:
    dns: FakeDnsServer
    rdap: FakeRdapServer


@pytest.fixture
def world(dns_server: FakeDnsServer, rdap_server: FakeRdapServer) -> TracingWorld:
    return TracingWorld(dns=dns_server, rdap=rdap_server)
