"""The DNS side against a real DNS server on loopback (dnslib): chains, NXDOMAIN vs NODATA, failures."""

from __future__ import annotations

import time

import pytest

from hotline.tracing import conf
from hotline.tracing.failures import FailureCode, TraceFailure
from hotline.tracing.resolver import resolve_host, special_use
from tests.fakes.dns_server import ask


def resolve(name: str):
    return resolve_host(name, conf.dns_config())


def failure_of(name: str) -> TraceFailure:
    with pytest.raises(TraceFailure) as info:
        resolve(name)
    return info.value


def test_the_fake_server_answers_over_udp_and_tcp(dns_server):
    assert str(ask(dns_server, "plain.example.test").rr[0].rdata) == "192.0.2.10"
    assert str(ask(dns_server, "plain.example.test", tcp=True).rr[0].rdata) == "192.0.2.10"


def test_a_and_aaaa_records_in_answer_order(dns_server):
    result = resolve("plain.example.test")
    assert result.cname_chain == ["plain.example.test"]
    assert result.addresses == [("192.0.2.10", "A"), ("2001:db8::10", "AAAA")]


def test_ipv6_only_host(dns_server):
    assert resolve("v6only.example.test").addresses == [("2001:db8::20", "AAAA")]


def test_cname_chain_is_followed_and_recorded(dns_server):
    result = resolve("www.chain.example.test")
    assert result.cname_chain == ["www.chain.example.test", "a.chain.example.test", "b.chain.example.test"]
    assert result.addresses == [("198.51.100.21", "A"), ("192.0.2.11", "A")]
    # AAAA is asked for the canonical name only, not again along the chain
    asked = [(q.name, q.qtype) for q in dns_server.queries]
    assert asked == [("www.chain.example.test", "A"), ("b.chain.example.test", "AAAA")]


def test_a_chain_split_over_several_answers_is_followed_by_asking_again(dns_server):
    result = resolve("split.example.test")
    assert result.cname_chain == ["split.example.test", "target.other.test"]
    assert result.addresses == [("192.0.2.12", "A")]
    assert ("target.other.test", "A") in [(q.name, q.qtype) for q in dns_server.queries]


def test_nxdomain_and_nodata_are_told_apart(dns_server):
    assert failure_of("nothing-here.example.test").code == FailureCode.NXDOMAIN
    nodata = failure_of("nodata.example.test")
    assert nodata.code == FailureCode.NO_ADDRESS
    assert "no A or AAAA" in nodata.reason


def test_a_cname_to_a_missing_name_is_nxdomain_with_the_chain(dns_server):
    failure = failure_of("dangling.example.test")
    assert failure.code == FailureCode.NXDOMAIN
    assert "gone.example.test" in failure.reason


def test_a_name_that_never_answers_times_out_within_the_lifetime(dns_server):
    started = time.monotonic()
    failure = failure_of("slow.example.test")
    elapsed = time.monotonic() - started
    assert failure.code == FailureCode.DNS_TIMEOUT
    assert elapsed < 2.0  # lifetime 0.6 s; no AAAA question after a failed A question
    assert sum(q.name == "slow.example.test" for q in dns_server.queries) >= 2  # it did try again


def test_malformed_answer_is_a_failure_with_its_reason(dns_server):
    failure = failure_of("broken.example.test")
    assert failure.code == FailureCode.DNS_MALFORMED
    assert "malformed" in failure.reason


def test_servfail(dns_server):
    assert failure_of("servfail.example.test").code == FailureCode.DNS_SERVFAIL


def test_cname_loop_across_answers_is_detected(dns_server):
    failure = failure_of("loop1.example.test")
    assert failure.code == FailureCode.CNAME_LOOP
    assert "loop" in failure.reason


def test_cname_loop_inside_one_answer_is_detected(dns_server):
    assert failure_of("inloop1.example.test").code == FailureCode.CNAME_LOOP


def test_cname_chain_depth_is_bounded(dns_server, settings):
    assert failure_of("long0.example.test").code == FailureCode.CNAME_LOOP
    settings.HOTLINE_DNS_MAX_CNAME = 12
    assert resolve("long0.example.test").addresses == [("192.0.2.13", "A")]


def test_truncated_udp_answer_is_asked_again_over_tcp(dns_server):
    result = resolve("big.example.test")
    assert len(result.addresses) == 30
    assert {"udp", "tcp"} <= {q.protocol for q in dns_server.queries if q.name == "big.example.test"}


def test_unreachable_resolver_is_a_dns_error_not_a_hang(settings):
    settings.HOTLINE_DNS_SERVERS = "127.0.0.1:9"  # nothing listens on the discard port
    settings.HOTLINE_DNS_TIMEOUT = 0.2
    settings.HOTLINE_DNS_LIFETIME = 0.5
    failure = failure_of("plain.example.test")
    assert failure.code in {FailureCode.DNS_ERROR, FailureCode.DNS_TIMEOUT}


def test_second_resolver_is_used_when_the_first_fails(dns_server, settings):
    settings.HOTLINE_DNS_SERVERS = f"127.0.0.1:9,{dns_server.address}"
    assert resolve("plain.example.test").addresses[0] == ("192.0.2.10", "A")


def test_special_use_names_never_reach_the_system_resolver(settings):
    settings.HOTLINE_DNS_SERVERS = ""
    failure = failure_of("plain.example.test")
    assert failure.code == FailureCode.SPECIAL_USE
    assert special_use("abc.onion", servers_configured=True)  # onion names never go to DNS at all
    assert special_use("www.example.test", servers_configured=True) is None
    assert special_use("hosting.se", servers_configured=False) is None
