"""One public-host policy (issue 11): intake and triage ask the same function (canonical.host_scope)."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.cases.canonical import HostScope, host_scope, ip_address_in_host
from hotline.intake.validation import MSG_PRIVATE, MSG_UNKNOWN_TOP_LEVEL, UrlProblem, clean_reported_url

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


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://files.intranet/a", MSG_UNKNOWN_TOP_LEVEL),  # accepted by intake before issue 11/12
        ("http://git.corp/", MSG_UNKNOWN_TOP_LEVEL),
        ("http://nas.alt/", MSG_PRIVATE),
        ("http://wiki.internal/", MSG_PRIVATE),
        ("http://127.0.0." + "0" * 44 + "1/", MSG_PRIVATE),  # the address a browser reads: 127.0.0.1
    ],
)
def test_intake_refuses_what_triage_would_not_trace(url: str, message: Any) -> None:
    with pytest.raises(UrlProblem) as problem:
        clean_reported_url(url)
    assert problem.value.code == "private_host"
    assert str(problem.value) == str(message)


def test_ip_address_in_host_reads_as_browsers_do() -> None:
    assert str(ip_address_in_host("2130706433")) == "127.0.0.1"
    assert str(ip_address_in_host("0x7f.1")) == "127.0.0.1"
    assert str(ip_address_in_host("[::ffff:127.0.0.1]")) == "::ffff:7f00:1"
    assert ip_address_in_host("example.test") is None
    assert ip_address_in_host("1.2.3.4.5") is None


@pytest.mark.django_db
def test_triage_never_traces_a_host_that_is_not_public(triaged_case: Any) -> None:
    from hotline.tracing.models import HostTrace

    # A URL stored before intake refused such hosts (or by an older intake): triage makes its case
    # but does not hand the host to tracing.
    internal = triaged_case("http://files.intranet/a")
    public = triaged_case("https://files.example.test/b")
    assert internal.host == "files.intranet" and internal.url_index
    assert list(HostTrace.objects.values_list("host", flat=True)) == [public.host]
