"""RDAP: the entity parser on RFC 9083-shaped fixtures, and the client against a real local RDAP server."""

from __future__ import annotations

import copy
import json
import time

import pytest

from hotline.tracing import conf, rdap
from hotline.tracing.failures import FailureCode, TraceFailure
from tests.fakes import rdap_server as fixtures


# --- parser (pure) --------------------------------------------------------------------------------
def test_ripe_like_abuse_nested_under_the_registrant():
    net = rdap.parse_ip_network(fixtures.NETWORK_NL, server="rdap.test")
    assert net.abuse_email == "abuse@hosting-nl.example"
    assert net.holder == "Example Hosting B.V."
    assert (net.name, net.handle, net.country, net.cidr) == ("EXAMPLE-HOSTING-NL", "EXAMPLE-NL-1", "NL", "192.0.2.0/24")
    assert net.contains("192.0.2.77") and not net.contains("198.51.100.1")


def test_arin_like_mailto_uri_and_range_without_cidr0():
    net = rdap.parse_ip_network(fixtures.NETWORK_US)
    assert net.abuse_email == "abuse@networks.example"
    assert net.holder == "Example Networks Inc."
    assert net.cidr == "198.51.100.0/24"  # computed from start/end


def test_ipv6_network_with_one_entity_in_two_roles():
    net = rdap.parse_ip_network(fixtures.NETWORK_V6)
    assert (net.abuse_email, net.holder, net.cidr) == ("abuse@v6.example", "Exempel Hosting AB", "2001:db8::/32")


def test_technical_contacts_are_not_taken_for_the_abuse_contact():
    doc = copy.deepcopy(fixtures.NETWORK_NL)
    doc["entities"][0]["entities"] = []  # drop the abuse entity; the technical one has an email too
    assert rdap.parse_ip_network(doc).abuse_email == ""


def test_the_shallowest_abuse_entity_wins():
    doc = copy.deepcopy(fixtures.NETWORK_NL)
    doc["entities"].append(fixtures.entity("TOP", ["abuse"], fixtures.vcard("Top", email="Top@Upper.EXAMPLE")))
    assert rdap.parse_ip_network(doc).abuse_email == "Top@upper.example"


def test_invalid_emails_in_vcards_are_ignored():
    doc = copy.deepcopy(fixtures.NETWORK_V6)
    doc["entities"][0]["vcardArray"][1].insert(0, ["email", {}, "text", "not an email <x>"])
    assert rdap.parse_ip_network(doc).abuse_email == "abuse@v6.example"


def test_deep_and_wide_entity_trees_are_bounded():
    deep: dict = {"roles": ["abuse"], "vcardArray": fixtures.vcard("x", email="deep@x.example")}
    for _ in range(20):
        deep = {"roles": ["technical"], "entities": [deep]}
    doc = {"objectClassName": "ip network", "entities": [deep] + [{"roles": ["noc"]}] * 1000}
    assert rdap.parse_ip_network(doc).abuse_email == ""  # beyond the depth limit: not found, and no hang


@pytest.mark.parametrize(
    "doc",
    [
        [],
        "text",
        {"errorCode": 500, "title": "oops"},
        {"objectClassName": "domain"},
        # {"objectClassName": "ip network", "startAddress": "not-an-ip"} was refused whole before issue 12;
        # now the field is left out and recorded (test_rdap_fields.py; docs/tracing.md, "Changed expectations").
    ],
)
def test_documents_that_are_no_ip_network_are_malformed(doc):
    with pytest.raises(TraceFailure) as info:
        rdap.parse_ip_network(doc)
    assert info.value.code == FailureCode.RDAP_MALFORMED


def test_bootstrap_prefers_https_and_the_most_specific_range():
    bootstrap = rdap.parse_bootstrap(
        [
            {"services": [[["192.0.0.0/8"], ["http://wide.example/rdap/", "https://wide.example/rdap/"]]]},
            {
                "services": [
                    [["192.0.2.0/24"], ["https://narrow.example/rdap"]],
                    [["2001:db8::/32"], ["https://v6.example/"]],
                ]
            },
        ]
    )
    assert bootstrap.base_url_for("192.0.2.1") == "https://narrow.example/rdap/"
    assert bootstrap.base_url_for("192.1.1.1") == "https://wide.example/rdap/"
    assert bootstrap.base_url_for("2001:db8::1") == "https://v6.example/"
    assert bootstrap.base_url_for("10.0.0.1") is None
    assert bootstrap.server_hosts == {"wide.example", "narrow.example", "v6.example"}


def test_bootstrap_from_a_file(tmp_path, settings):
    path = tmp_path / "ipv4.json"
    path.write_text(json.dumps({"services": [[["192.0.2.0/24"], ["https://rdap.example/"]]]}))
    settings.HOTLINE_RDAP_BOOTSTRAP = str(path)
    assert rdap.load_bootstrap(conf.rdap_config()).base_url_for("192.0.2.9") == "https://rdap.example/"


def test_missing_bootstrap_is_a_bootstrap_failure(settings, tmp_path):
    settings.HOTLINE_RDAP_BOOTSTRAP = str(tmp_path / "missing.json")
    with pytest.raises(TraceFailure) as info:
        rdap.load_bootstrap(conf.rdap_config())
    assert info.value.code == FailureCode.RDAP_BOOTSTRAP


# --- client against the real local server ---------------------------------------------------------
def client(**kwargs) -> rdap.RdapClient:
    return rdap.RdapClient(config=conf.rdap_config(), **kwargs)


def test_lookup_over_http(rdap_server):
    net = client().lookup("192.0.2.10")
    assert net is not None and net.found
    assert (net.abuse_email, net.server) == ("abuse@hosting-nl.example", "127.0.0.1")
    assert rdap_server.lookups() == ["192.0.2.10"]
    assert rdap.parse_ip_network(fixtures.NETWORK_NL).holder == net.holder


def test_ipv6_lookup(rdap_server):
    net = client().lookup("2001:db8::10")
    assert net is not None and net.abuse_email == "abuse@v6.example"


def test_address_outside_the_bootstrap_is_not_looked_up(rdap_server):
    assert client().lookup("127.0.0.2") is None
    assert rdap_server.lookups() == []


@pytest.mark.parametrize(
    ("ip", "code"),
    [
        (fixtures.DOWN, FailureCode.RDAP_UNAVAILABLE),
        (fixtures.MALFORMED, FailureCode.RDAP_MALFORMED),
        (fixtures.HUGE, FailureCode.RDAP_MALFORMED),
    ],
)
def test_server_failures(rdap_server, ip, code):
    with pytest.raises(TraceFailure) as info:
        client().lookup(ip)
    assert info.value.code == code


def test_slow_server_times_out(rdap_server):
    started = time.monotonic()
    with pytest.raises(TraceFailure) as info:
        client().lookup(fixtures.SLOW)
    assert info.value.code == FailureCode.RDAP_TIMEOUT
    assert time.monotonic() - started < 1.4  # timeout 0.5 s, the server would take 1.5 s


def test_404_is_no_record_not_a_failure(rdap_server):
    net = client().lookup(fixtures.NOT_FOUND)
    assert net is not None and not net.found


def test_redirect_to_a_host_that_is_no_rdap_server_is_refused_without_connecting(rdap_server):
    with pytest.raises(TraceFailure) as info:
        client().lookup(fixtures.REDIRECT_AWAY)
    assert info.value.code == FailureCode.RDAP_REFUSED
    assert "192.0.2.10" in info.value.reason


def test_the_traced_host_is_never_an_rdap_server(rdap_server):
    with pytest.raises(TraceFailure) as info:
        client(forbidden_hosts=frozenset({"127.0.0.1"})).lookup("192.0.2.10")
    assert info.value.code == FailureCode.RDAP_REFUSED
    assert rdap_server.lookups() == []


def test_server_down_entirely(rdap_server, settings):
    rdap.load_bootstrap(conf.rdap_config())  # bootstrap cached; now the server goes away
    rdap_server.stop()
    with pytest.raises(TraceFailure) as info:
        client().lookup("192.0.2.10")
    assert info.value.code == FailureCode.RDAP_UNAVAILABLE
