"""One public-host policy (issue 11): intake and triage ask the same function (canonical.host_scope). What intake
refuses is in intake's tests, what triage hands to tracing in tracing's (cases knows neither)."""

from __future__ import annotations

import pytest

from hotline.cases.canonical import HostScope, host_scope, ip_address_in_host

SCOPES = [
    ("example.test", HostScope.PUBLIC),
    ("abcdefghijklmnop.onion", HostScope.PUBLIC),
    ("files.intranet", HostScope.UNKNOWN_TOP_LEVEL),
    ("git.corp", HostScope.UNKNOWN_TOP_LEVEL),
    ("printer.local", HostScope.SPECIAL_USE_NAME),
    ("localhost", HostScope.SPECIAL_USE_NAME),
    ("nas.alt", HostScope.SPECIAL_USE_NAME),
    ("wiki.internal", HostScope.SPECIAL_USE_NAME),
    ("nas", HostScope.SINGLE_LABEL),
    ("10.0.0.1", HostScope.INTERNAL_ADDRESS),
    ("[::1]", HostScope.INTERNAL_ADDRESS),
    ("192.0.2.1", HostScope.PUBLIC),
]


@pytest.mark.parametrize(("host", "scope"), SCOPES)
def test_host_scope(host: str, scope: HostScope) -> None:
    assert host_scope(host) is scope


def test_ip_address_in_host_reads_as_browsers_do() -> None:
    assert str(ip_address_in_host("2130706433")) == "127.0.0.1"
    assert str(ip_address_in_host("0x7f.1")) == "127.0.0.1"
    assert str(ip_address_in_host("[::ffff:127.0.0.1]")) == "::ffff:7f00:1"
    assert ip_address_in_host("example.test") is None
    assert ip_address_in_host("1.2.3.4.5") is None
